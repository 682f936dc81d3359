#include "sim/faultmap_picture.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/input_error.h"
#include "nn/model_file.h"
#include "sim/campaign.h"
#include "sim/network_storage.h"
#include "sim/png_image.h"

namespace weightfault::sim {
namespace {

constexpr Rgb kWhite{255, 255, 255}, kStored{226, 230, 236}, kInk{30, 30, 30},
    kBoundary{90, 110, 200}, kFlip{220, 40, 40}, kStuck0{30, 120, 220}, kStuck1{20, 160, 60};

Rgb color_of(memory::FaultKind kind) {
  return kind == memory::FaultKind::flip         ? kFlip
         : kind == memory::FaultKind::stuck_at_0 ? kStuck0
                                                 : kStuck1;
}

}  // namespace

std::string draw_faultmap(const Scenario& sc, const FaultmapRequest& req,
                          const std::filesystem::path& png) {
  if (req.point >= sc.points())
    throw InputError(
        fmt::format("--point {}: the scenario has points 0..{}", req.point, sc.points() - 1));
  if (req.trial >= static_cast<std::size_t>(sc.trials))
    throw InputError(
        fmt::format("--trial {}: the scenario has trials 0..{}", req.trial, sc.trials - 1));
  const memory::AddressMapping mapping(sc.geometry, sc.mapping);
  const auto network = nn::load_model(sc.model_file);
  // The extent is the widest stored image, exactly as in `run`.
  std::vector<storage::StoredImage> images;
  std::uint64_t extent = 0;
  for (const auto& protection : protections_for(sc, network)) {
    for (const auto& dtype : sc.dtypes) {
      images.push_back(store_network(network, protection, dtype, sc.placement, mapping));
      extent = std::max(extent, images.back().placement().extent_bits());
    }
  }
  std::vector<std::unique_ptr<memory::FaultModel>> models;
  for (std::size_t m = 0; m < sc.fault_models.size(); ++m)
    models.push_back(sc.fault_models[m].info->create(sc.params_at(m, req.point)));
  const auto map = draw_fault_map(sc, models, mapping, extent, req.point, req.trial);

  const auto& g = sc.geometry;
  // Rows that hold stored bits (the picture's vertical range).
  std::uint64_t rows_used = 1;
  const auto& placement = images.front().placement();
  for (std::size_t s = 0; s < placement.segments().size(); ++s) {
    rows_used = std::max(rows_used,
                         mapping.to_physical(placement.first_bit(s)).get(memory::Field::row) + 1);
  }
  rows_used = std::max(rows_used, mapping.to_physical(extent - 1).get(memory::Field::row) + 1);
  const double rows_shown = static_cast<double>(std::min<std::uint64_t>(g.rows, rows_used));

  constexpr int kPanel = 480, kLeft = 20, kTop = 70, kGap = 60;
  PngImage img(kLeft + kPanel + kGap + kPanel + 220, kTop + kPanel + 60, kWhite);
  const int bank_w = std::max(1, kPanel / static_cast<int>(g.banks));
  const auto y_of = [&](std::uint64_t row) {
    return kTop + static_cast<int>(static_cast<double>(row) / rows_shown * kPanel);
  };
  const int b_left = kLeft + kPanel + kGap;
  const auto x_col = [&](std::uint64_t column) {
    return b_left +
           static_cast<int>(static_cast<double>(column) / static_cast<double>(g.columns) * kPanel);
  };
  img.fill(kLeft, kTop, kLeft + bank_w * static_cast<int>(g.banks) - 1, kTop + kPanel, kStored);
  for (std::uint64_t b = 1; b < g.banks; ++b)
    img.fill(kLeft + bank_w * static_cast<int>(b), kTop, kLeft + bank_w * static_cast<int>(b),
             kTop + kPanel, kWhite);
  img.fill(b_left, kTop, b_left + kPanel, kTop + kPanel, kStored);

  // Active faults, per bank counted to pick the bank of the second panel.
  struct Mark {
    std::uint64_t bank_lo, bank_hi, row_lo, row_hi, col_lo, col_hi;
    memory::FaultKind kind;
  };
  std::vector<Mark> marks;
  std::array<std::size_t, 3> by_kind{};
  for (const auto& f : map.bit_faults()) {
    if (!f.active_at(req.at_s)) continue;
    const auto a = mapping.to_physical(f.linear_bit);
    marks.push_back({a.get(memory::Field::bank), a.get(memory::Field::bank),
                     a.get(memory::Field::row), a.get(memory::Field::row),
                     a.get(memory::Field::column), a.get(memory::Field::column), f.kind});
  }
  for (const auto& r : map.records()) {
    if (!r.active_at(req.at_s)) continue;
    const auto range = [&](memory::Field f, std::uint64_t size) {
      return r.is_wild(f) ? std::pair<std::uint64_t, std::uint64_t>{0, size - 1}
                          : std::pair{r.address.get(f), r.address.get(f)};
    };
    const auto [b0, b1] = range(memory::Field::bank, g.banks);
    const auto [r0, r1] = range(memory::Field::row, g.rows);
    const auto [c0, c1] = range(memory::Field::column, g.columns);
    marks.push_back({b0, b1, r0, r1, c0, c1, r.kind});
  }
  std::vector<std::size_t> per_bank(g.banks, 0);
  for (const auto& m : marks) {
    ++by_kind[static_cast<std::size_t>(m.kind)];
    for (auto b = m.bank_lo; b <= m.bank_hi; ++b) ++per_bank[b];
  }
  const std::uint64_t focus = static_cast<std::uint64_t>(
      std::max_element(per_bank.begin(), per_bank.end()) - per_bank.begin());

  // Tensor boundaries (weights only), labelled on the right.
  int label_y = kTop;
  for (std::size_t s = 0; s < placement.segments().size(); ++s) {
    const auto& name = placement.segments()[s].name;
    const auto a = mapping.to_physical(placement.first_bit(s));
    const int y = y_of(a.get(memory::Field::row));
    img.fill(kLeft, y, kLeft + bank_w * static_cast<int>(g.banks) - 1, y, kBoundary);
    img.fill(b_left, y, b_left + kPanel, y, kBoundary);
    if (name.find('/') != name.rfind('/')) continue;  // check and scale words: line only
    label_y = std::max(label_y, y);
    img.text(b_left + kPanel + 8, label_y, name, kBoundary, 2);
    img.fill(b_left + kPanel + 1, y, b_left + kPanel + 6, y, kBoundary);
    label_y += 14;
  }
  for (const auto& m : marks) {
    const Rgb c = color_of(m.kind);
    const int y0 = y_of(m.row_lo), y1 = std::max(y_of(m.row_hi), y0) + 2;
    const int x0 = kLeft + bank_w * static_cast<int>(m.bank_lo);
    const int x1 = kLeft + bank_w * static_cast<int>(m.bank_hi + 1) - 2;
    if (m.bank_lo == m.bank_hi && m.row_lo == m.row_hi && m.col_lo == m.col_hi) {
      // A cell: a dot placed by its column inside the bank's band.
      const int x = x0 + static_cast<int>(static_cast<double>(m.col_lo) /
                                          static_cast<double>(g.columns) * (bank_w - 3));
      img.fill(x, y0, x + 2, y1, c);
    } else {
      img.fill(x0, y0, x1, y1, c);
    }
    if (focus >= m.bank_lo && focus <= m.bank_hi)
      img.fill(x_col(m.col_lo), y0, std::max(x_col(m.col_hi), x_col(m.col_lo)) + 2, y1, c);
  }
  const std::size_t active = marks.size();
  img.text(kLeft, 8,
           fmt::format("FAULT MAP {}  POINT {} TRIAL {}  T = {:.4g} S", sc.file, req.point,
                       req.trial, req.at_s),
           kInk, 2);
  img.text(kLeft, 26,
           fmt::format("{} ACTIVE: {} FLIP  {} STUCK 0  {} STUCK 1", active, by_kind[0], by_kind[1],
                       by_kind[2]),
           kInk, 2);
  int lx = kLeft;
  for (const auto& [label, c] : {std::pair{"FLIP", kFlip},
                                 {"STUCK 0 / READS 0", kStuck0},
                                 {"STUCK 1 / READS 1", kStuck1},
                                 {"TENSOR START", kBoundary}}) {
    img.fill(lx, 44, lx + 9, 53, c);
    lx = img.text(lx + 14, 44, label, kInk, 2) + 16;
  }
  img.text(kLeft, kTop + kPanel + 8,
           fmt::format("BANK 0..{} (X) BY ROW 0..{} (Y)", g.banks - 1,
                       static_cast<std::uint64_t>(rows_shown) - 1),
           kInk, 2);
  img.text(b_left, kTop + kPanel + 8,
           fmt::format("BANK {}: COLUMN 0..{} (X) BY ROW (Y)", focus, g.columns - 1), kInk, 2);
  img.text(kLeft, kTop + kPanel + 26, "ROWS SHOWN: THOSE HOLDING THE STORED WEIGHTS", kInk, 2);
  img.write(png);
  return fmt::format("{}: {} faults active at {} s (flip {}, stuck_at_0 {}, stuck_at_1 {})",
                     png.string(), active, req.at_s, by_kind[0], by_kind[1], by_kind[2]);
}

}  // namespace weightfault::sim

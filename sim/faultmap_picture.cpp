#include "sim/faultmap_picture.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

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

namespace {

struct Mark {
  std::uint64_t bank_lo, bank_hi, row_lo, row_hi, col_lo, col_hi;
  memory::FaultKind kind;
  std::uint64_t chip = 0;  // the device the fault is in
};

// The faults of the requested trial active at its time, as ranges of banks, rows, columns.
std::vector<Mark> active_marks(const memory::FaultMap& map, const memory::AddressMapping& mapping,
                               double at_s) {
  const auto& g = mapping.geometry();
  std::vector<Mark> marks;
  for (const auto& f : map.bit_faults()) {
    if (!f.active_at(at_s)) continue;
    const auto a = mapping.to_physical(f.linear_bit);
    marks.push_back({a.get(memory::Field::bank), a.get(memory::Field::bank),
                     a.get(memory::Field::row), a.get(memory::Field::row),
                     a.get(memory::Field::column), a.get(memory::Field::column), f.kind,
                     a.chip(g)});
  }
  for (const auto& r : map.records()) {
    if (!r.active_at(at_s)) continue;
    const auto range = [&](memory::Field f, std::uint64_t size) {
      return r.is_wild(f) ? std::pair<std::uint64_t, std::uint64_t>{0, size - 1}
                          : std::pair{r.address.get(f), r.address.get(f)};
    };
    const auto [b0, b1] = range(memory::Field::bank, g.banks);
    const auto [r0, r1] = range(memory::Field::row, g.rows);
    const auto [c0, c1] = range(memory::Field::column, g.columns);
    marks.push_back({b0, b1, r0, r1, c0, c1, r.kind, r.address.chip(g)});
  }
  return marks;
}

// The picture's layout: bank x row panel on the left, row x column of one bank on the right.
struct Canvas {
  static constexpr int kPanel = 480, kLeft = 20, kTop = 70, kGap = 60;
  const memory::Geometry& g;
  double rows_shown;
  int bank_w = std::max(1, kPanel / static_cast<int>(g.banks));
  int b_left = kLeft + kPanel + kGap;
  int y_of(std::uint64_t row) const {
    return kTop + static_cast<int>(static_cast<double>(row) / rows_shown * kPanel);
  }
  int x_col(std::uint64_t column) const {
    return b_left +
           static_cast<int>(static_cast<double>(column) / static_cast<double>(g.columns) * kPanel);
  }
};

// Rows that hold stored bits (the picture's vertical range).
double rows_holding(const storage::StoredImage& image, const memory::AddressMapping& mapping,
                    std::uint64_t extent) {
  std::uint64_t rows_used = 1;
  const auto& placement = image.placement();
  for (std::size_t s = 0; s < placement.segments().size(); ++s) {
    rows_used = std::max(
        rows_used,
        mapping.to_physical(placement.memory_bit(placement.first_bit(s))).get(memory::Field::row) +
            1);
  }
  rows_used = std::max(rows_used, mapping.to_physical(extent - 1).get(memory::Field::row) + 1);
  return static_cast<double>(std::min<std::uint64_t>(mapping.geometry().rows, rows_used));
}

// Tensor boundaries: a line at every segment's first row, the tensors' names on the right.
void draw_boundaries(PngImage& img, const Canvas& c, const storage::StoredImage& image,
                     const memory::AddressMapping& mapping) {
  int label_y = Canvas::kTop;
  const auto& placement = image.placement();
  for (std::size_t s = 0; s < placement.segments().size(); ++s) {
    const auto a = mapping.to_physical(placement.memory_bit(placement.first_bit(s)));
    const int y = c.y_of(a.get(memory::Field::row));
    img.fill(Canvas::kLeft, y, Canvas::kLeft + c.bank_w * static_cast<int>(c.g.banks) - 1, y,
             kBoundary);
    img.fill(c.b_left, y, c.b_left + Canvas::kPanel, y, kBoundary);
    const auto t = image.tensor_of_segment(s);
    if (t == SIZE_MAX || image.tensors()[t].segment != s) continue;  // check and scale words
    label_y = std::max(label_y, y);
    img.text(c.b_left + Canvas::kPanel + 8, label_y, placement.segments()[s].name, kBoundary, 2);
    img.fill(c.b_left + Canvas::kPanel + 1, y, c.b_left + Canvas::kPanel + 6, y, kBoundary);
    label_y += 14;
  }
}

void draw_marks(PngImage& img, const Canvas& c, const std::vector<Mark>& marks,
                std::uint64_t focus) {
  for (const auto& m : marks) {
    const Rgb color = color_of(m.kind);
    const int y0 = c.y_of(m.row_lo), y1 = std::max(c.y_of(m.row_hi), y0) + 2;
    const int x0 = Canvas::kLeft + c.bank_w * static_cast<int>(m.bank_lo);
    const int x1 = Canvas::kLeft + c.bank_w * static_cast<int>(m.bank_hi + 1) - 2;
    if (m.bank_lo == m.bank_hi && m.row_lo == m.row_hi && m.col_lo == m.col_hi) {
      // A cell: a dot placed by its column inside the bank's band.
      const int x = x0 + static_cast<int>(static_cast<double>(m.col_lo) /
                                          static_cast<double>(c.g.columns) * (c.bank_w - 3));
      img.fill(x, y0, x + 2, y1, color);
    } else {
      img.fill(x0, y0, x1, y1, color);
    }
    if (focus >= m.bank_lo && focus <= m.bank_hi)
      img.fill(c.x_col(m.col_lo), y0, std::max(c.x_col(m.col_hi), c.x_col(m.col_lo)) + 2, y1,
               color);
  }
}

void draw_texts(PngImage& img, const Canvas& c, const Scenario& sc, const FaultmapRequest& req,
                std::size_t active, const std::array<std::size_t, 3>& by_kind,
                std::uint64_t focus) {
  constexpr int kLeft = Canvas::kLeft, kTop = Canvas::kTop, kPanel = Canvas::kPanel;
  img.text(kLeft, 8,
           fmt::format("FAULT MAP {}  POINT {} TRIAL {}  T = {:.4g} S", sc.file, req.point,
                       req.trial, req.at_s),
           kInk, 2);
  img.text(kLeft, 26,
           fmt::format("{} ACTIVE: {} FLIP  {} STUCK 0  {} STUCK 1", active, by_kind[0], by_kind[1],
                       by_kind[2]),
           kInk, 2);
  int lx = kLeft;
  for (const auto& [label, color] : {std::pair{"FLIP", kFlip},
                                     {"STUCK 0 / READS 0", kStuck0},
                                     {"STUCK 1 / READS 1", kStuck1},
                                     {"TENSOR START", kBoundary}}) {
    img.fill(lx, 44, lx + 9, 53, color);
    lx = img.text(lx + 14, 44, label, kInk, 2) + 16;
  }
  img.text(kLeft, kTop + kPanel + 8,
           fmt::format("BANK 0..{} (X) BY ROW 0..{} (Y)", c.g.banks - 1,
                       static_cast<std::uint64_t>(c.rows_shown) - 1),
           kInk, 2);
  img.text(c.b_left, kTop + kPanel + 8,
           fmt::format("BANK {}: COLUMN 0..{} (X) BY ROW (Y)", focus, c.g.columns - 1), kInk, 2);
  img.text(kLeft, kTop + kPanel + 26, "ROWS SHOWN: THOSE HOLDING THE STORED WEIGHTS", kInk, 2);
}

// The picture's content as JSON (docs/results-format.md, "fault-map data").
void write_faultmap_data(const std::filesystem::path& path, const Scenario& sc,
                         const FaultmapRequest& req, const storage::StoredImage& image,
                         const memory::AddressMapping& mapping, double rows_shown,
                         const std::vector<Mark>& marks, std::uint64_t focus) {
  const auto& g = sc.geometry;
  nlohmann::json segments = nlohmann::json::array();
  const auto& placement = image.placement();
  for (std::size_t s = 0; s < placement.segments().size(); ++s) {
    const auto t = image.tensor_of_segment(s);
    const auto a = mapping.to_physical(placement.memory_bit(placement.first_bit(s)));
    segments.push_back({{"name", placement.segments()[s].name},
                        {"first_row", a.get(memory::Field::row)},
                        {"first_bank", a.get(memory::Field::bank)},
                        {"tensor_data", t != SIZE_MAX && image.tensors()[t].segment == s}});
  }
  nlohmann::json faults = nlohmann::json::array();
  for (const auto& m : marks) {
    faults.push_back({{"kind", std::string(memory::to_string(m.kind))},
                      {"bank", {m.bank_lo, m.bank_hi}},
                      {"row", {m.row_lo, m.row_hi}},
                      {"column", {m.col_lo, m.col_hi}},
                      {"chip", m.chip}});
  }
  const nlohmann::json doc{{"scenario", sc.file},
                           {"point", req.point},
                           {"trial", req.trial},
                           {"at_s", req.at_s},
                           {"geometry",
                            {{"banks", g.banks},
                             {"rows", g.rows},
                             {"columns", g.columns},
                             {"devices", g.devices_per_rank()},
                             {"data_devices", g.chips}}},
                           {"rows_shown", static_cast<std::uint64_t>(rows_shown)},
                           {"focus_bank", focus},
                           {"segments", segments},
                           {"faults", faults}};
  std::ofstream out(path);
  out << doc.dump() << "\n";
  if (!out) throw InputError(fmt::format("{}: could not write the fault-map data", path.string()));
}

}  // namespace

std::string draw_faultmap(const Scenario& sc, const FaultmapRequest& req,
                          const std::filesystem::path& png,
                          const std::filesystem::path* data_json) {
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
  const Canvas c{g, rows_holding(images.front(), mapping, extent)};
  // The tensor names stand right of the second panel: as wide as the longest.
  int label_width = 220;
  for (const auto& segment : images.front().placement().segments())
    label_width = std::max(label_width, PngImage::text_width(segment.name) + 16);
  PngImage img(Canvas::kLeft + Canvas::kPanel + Canvas::kGap + Canvas::kPanel + label_width,
               Canvas::kTop + Canvas::kPanel + 60, kWhite);
  img.fill(Canvas::kLeft, Canvas::kTop, Canvas::kLeft + c.bank_w * static_cast<int>(g.banks) - 1,
           Canvas::kTop + Canvas::kPanel, kStored);
  for (std::uint64_t b = 1; b < g.banks; ++b)
    img.fill(Canvas::kLeft + c.bank_w * static_cast<int>(b), Canvas::kTop,
             Canvas::kLeft + c.bank_w * static_cast<int>(b), Canvas::kTop + Canvas::kPanel, kWhite);
  img.fill(c.b_left, Canvas::kTop, c.b_left + Canvas::kPanel, Canvas::kTop + Canvas::kPanel,
           kStored);

  // Active faults, per bank counted to pick the bank of the second panel.
  const auto marks = active_marks(map, mapping, req.at_s);
  std::array<std::size_t, 3> by_kind{};
  std::vector<std::size_t> per_bank(g.banks, 0);
  for (const auto& m : marks) {
    ++by_kind[static_cast<std::size_t>(m.kind)];
    for (auto b = m.bank_lo; b <= m.bank_hi; ++b) ++per_bank[b];
  }
  const std::uint64_t focus = static_cast<std::uint64_t>(
      std::max_element(per_bank.begin(), per_bank.end()) - per_bank.begin());
  draw_boundaries(img, c, images.front(), mapping);
  draw_marks(img, c, marks, focus);
  draw_texts(img, c, sc, req, marks.size(), by_kind, focus);
  img.write(png);
  if (data_json != nullptr)
    write_faultmap_data(*data_json, sc, req, images.front(), mapping, c.rows_shown, marks, focus);
  return fmt::format("{}: {} faults active at {} s (flip {}, stuck_at_0 {}, stuck_at_1 {})",
                     png.string(), marks.size(), req.at_s, by_kind[0], by_kind[1], by_kind[2]);
}

}  // namespace weightfault::sim

// row_hammer: read disturbance from the weight rows' own activations.
//
// Every inference reads the weights, so every DRAM row holding weights is activated
// (opened) inference_rate_hz x activations_per_inference times per second. A row's cells
// are disturbed by the activations of its neighbours between two refreshes of the row
// (Kim et al., "Flipping bits in memory without accessing them", ISCA 2014): the hammer
// count of a victim row in one refresh window is
//   H = A(r-1) + A(r+1) + w2 (A(r-2) + A(r+2)),    A = aggressor activations per window
// (double-sided counting as in Kim et al., ISCA 2020; w2 weighs the second neighbours,
// which flip far less). Each cell has a threshold hammer count, log-normal over cells;
// a cell flips once H reaches its threshold, and only a charged cell can lose its charge
// (true/anti cells, memory_models/cell_polarity.h). A flipped cell keeps the wrong value
// until the next write (refresh restores what it reads) and flips again in every write
// window. Target row refresh (TRR) refreshes the neighbours of the aggressor rows its
// tracker follows; a bank of weights hammered all at the same rate is the many-sided
// pattern that overflows a small tracker (Frigo et al., "TRRespass", S&P 2020), so a
// tracker of K entries shields a share K / (hammered rows in the bank) of the aggressor
// activations. Sources and tags: docs/physics.md.
//
// Rows are taken as holding weights when their first bit (column 0) lies in the stored
// extent, and a row's cells as contiguous in the linear space: the mapping should walk a
// row's columns fastest (Co, Ch least significant, as the default RoBaRaCoCh).
#include <algorithm>
#include <boost/random/poisson_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>

#include "memory_models/cell_polarity.h"
#include "memory_models/fault_model.h"
#include "memory_models/normal_cdf.h"
#include "memory_models/write_windows.h"

namespace weightfault::memory {
namespace {

struct HammerParams {
  double inference_rate_hz = 100.0;
  double activations_per_inference = 1.0;
  double hc_first = 10000.0;
  double hc_sigma_ln = 1.0;
  double hc_first_device_bits = 8.0 * 1073741824.0;
  double second_neighbour_weight = 0.1;
  double trr_tracked_rows = 0.0;
  double refresh_override_s = 0.0;
  CellPolarity polarity;
};

// One victim row of the stored image and its hammer count per refresh window.
struct Victim {
  PhysicalAddress first;        // column 0, channel 0, bit 0 of the row
  std::uint64_t cells = 0;      // cells of the row inside the stored extent
  std::uint64_t row_cells = 0;  // cells of the row
  double hammer = 0.0;
};

class RowHammer final : public FaultModel {
 public:
  explicit RowHammer(HammerParams p) : p_(std::move(p)) {
    // Threshold distribution: one cell per hc_first_device_bits fails at hc_first.
    log_median_ =
        std::log(p_.hc_first) - p_.hc_sigma_ln * normal_quantile(1.0 / p_.hc_first_device_bits);
  }

  void generate(const FaultModelContext& ctx, Rng& rng, FaultMap& sink) const override {
    const auto windows = observed_windows(ctx);
    if (windows.empty() || ctx.extent_bits == 0) return;
    const double refresh_s = refresh_of(ctx);
    const Geometry& g = ctx.mapping.geometry();
    boost::random::uniform_int_distribution<std::uint64_t> column(0, g.columns - 1);
    boost::random::uniform_int_distribution<std::uint64_t> channel(0, g.channels - 1);
    boost::random::uniform_int_distribution<std::uint64_t> bit(0, g.bus_width() - 1);
    boost::random::uniform_real_distribution<double> unit(0.0, 1.0);
    for (const auto& v : victims(ctx)) {
      const double p = fraction_below(v.hammer);
      if (!(p > 0.0)) continue;
      const auto n = boost::random::poisson_distribution<std::uint64_t, double>(
          static_cast<double>(v.row_cells) * p)(rng);
      for (std::uint64_t k = 0; k < n; ++k) {
        PhysicalAddress a = v.first;
        a.set(Field::column, column(rng));
        a.set(Field::channel, channel(rng));
        a.set(Field::bit, bit(rng));
        const std::uint64_t linear = ctx.mapping.to_linear(a);
        // The cell's threshold, below the hammer count: it flips that far into a window.
        const double threshold =
            std::exp(log_median_ + p_.hc_sigma_ln * normal_quantile(unit(rng) * p));
        if (linear >= ctx.extent_bits) continue;  // the row's tail beyond the image
        const FaultKind kind = p_.polarity.discharged(a);
        const double into_window_s = refresh_s * std::min(1.0, threshold / v.hammer);
        for (const auto& w : windows) {
          const double onset = w.start_s + into_window_s;
          if (onset > w.last_checkpoint_s) continue;
          sink.add(BitFault{linear, kind, ctx.model_index, onset, w.end_s});
        }
      }
    }
  }

  // Cells that flip in every write window (each drawn once per trial).
  double expected_faults(const FaultModelContext& ctx) const override {
    double expected = 0.0;
    for (const auto& v : victims(ctx))
      expected += static_cast<double>(v.cells) * fraction_below(v.hammer);
    return expected;
  }

  double expected_active(const FaultModelContext& ctx, double t_s) const override {
    const double w = ctx.last_write_at_or_before(t_s);
    const double refresh_s = refresh_of(ctx);
    double expected = 0.0;
    for (const auto& v : victims(ctx)) {
      // Flipped by t_s: threshold below the hammer count reached by then in the window.
      const double reached = v.hammer * std::min(1.0, (t_s - w) / refresh_s);
      expected += static_cast<double>(v.cells) * fraction_below(reached);
    }
    return expected;
  }

 private:
  double refresh_of(const FaultModelContext& ctx) const {
    return p_.refresh_override_s > 0.0 ? p_.refresh_override_s : ctx.refresh_interval_s;
  }
  // Fraction of cells whose threshold is below `hammer`.
  double fraction_below(double hammer) const {
    if (!(hammer > 0.0)) return 0.0;
    return normal_cdf((std::log(hammer) - log_median_) / p_.hc_sigma_ln);
  }

  // Rows of the stored image with their hammer counts per refresh window.
  std::vector<Victim> victims(const FaultModelContext& ctx) const {
    const Geometry& g = ctx.mapping.geometry();
    const double per_window = p_.inference_rate_hz * p_.activations_per_inference * refresh_of(ctx);
    const std::uint64_t row_cells = g.columns * g.channels * g.bus_width();
    std::vector<Victim> out;
    for (std::uint64_t rank = 0; rank < g.ranks; ++rank) {
      for (std::uint64_t bank = 0; bank < g.banks; ++bank) {
        PhysicalAddress a;
        a.set(Field::rank, rank);
        a.set(Field::bank, bank);
        // Rows holding weights: those whose first bit is inside the extent.
        std::vector<bool> held;
        for (std::uint64_t row = 0; row < g.rows; ++row) {
          a.set(Field::row, row);
          held.push_back(ctx.mapping.to_linear(a) < ctx.extent_bits);
        }
        const double hammered = static_cast<double>(std::count(held.begin(), held.end(), true));
        if (hammered == 0.0) continue;
        // TRR shields the share of aggressor activations its tracker follows.
        const double shielded = std::min(1.0, p_.trr_tracked_rows / hammered);
        const double activations = per_window * (1.0 - shielded);
        const auto aggressor = [&](std::int64_t row) {
          return row >= 0 && row < static_cast<std::int64_t>(g.rows) &&
                         held[static_cast<std::size_t>(row)]
                     ? activations
                     : 0.0;
        };
        for (std::uint64_t row = 0; row < g.rows; ++row) {
          if (!held[row]) continue;
          const auto r = static_cast<std::int64_t>(row);
          Victim v;
          a.set(Field::row, row);
          v.first = a;
          const std::uint64_t start = ctx.mapping.to_linear(a);
          v.cells = std::min(row_cells, ctx.extent_bits - start);
          v.row_cells = row_cells;
          v.hammer = aggressor(r - 1) + aggressor(r + 1) +
                     p_.second_neighbour_weight * (aggressor(r - 2) + aggressor(r + 2));
          out.push_back(v);
        }
      }
    }
    return out;
  }

  HammerParams p_;
  double log_median_ = 0.0;
};

}  // namespace

FaultModelInfo row_hammer_info() {
  std::vector<ParamDecl> params{
      number_param("inference_rate_hz", "1/s", "inferences per second reading the weights [E]", 0.0,
                   1e9, 100.0, true),
      number_param("activations_per_inference", "",
                   "times each weight row is opened per inference (1: read once; tiled "
                   "layers reopen rows per tile [E])",
                   0.0, 1e9, 1.0, true),
      number_param("hc_first", "activations",
                   "hammer count (both neighbours together) at which the first cell of a "
                   "device of hc_first_device_bits flips: 10,000 (DDR4/LPDDR4, as few as 9,600 "
                   "in Kim et al. ISCA 2020 [V-page]; DDR3 ~139,000, Kim et al. ISCA 2014 [R])",
                   1.0, 1e9, 10000.0, true),
      number_param("hc_sigma_ln", "", "log-normal spread of cell thresholds [E]", 0.01, 10.0, 1.0,
                   false),
      number_param("hc_first_device_bits", "bits", "device size hc_first refers to (8 Gib [E])",
                   1.0, 1e15, 8.0 * 1073741824.0, false),
      number_param("second_neighbour_weight", "",
                   "weight of the rows two away in the hammer count (blast radius 2; far fewer "
                   "flips than adjacent rows, Kim et al. 2020 [R]; 0.1 [E])",
                   0.0, 1.0, 0.1, false),
      number_param("trr_tracked_rows", "rows",
                   "target row refresh tracker entries per bank (0: no TRR); shields that share "
                   "of a bank's hammered rows (TRRespass, S&P 2020 [R]; [E])",
                   0.0, 1e6, 0.0, true),
      number_param("refresh_interval_s", "s",
                   "refresh window; 0 = the timeline's refresh_interval_s", 0.0, 1e4, 0.0, true)};
  const auto polarity = CellPolarity::params();
  params.insert(params.end(), polarity.begin(), polarity.end());
  return {"row_hammer",
          "read disturbance (RowHammer) from the weight rows' own activations: hammer count per "
          "refresh window from the inference rate, log-normal cell thresholds anchored at HCfirst, "
          "+-1/+-2 row blast radius, charged cells only, TRR",
          std::move(params),
          [](const ParamValues& v) {
            HammerParams p;
            p.inference_rate_hz = v.number("inference_rate_hz");
            p.activations_per_inference = v.number("activations_per_inference");
            p.hc_first = v.number("hc_first");
            p.hc_sigma_ln = v.number("hc_sigma_ln");
            p.hc_first_device_bits = v.number("hc_first_device_bits");
            p.second_neighbour_weight = v.number("second_neighbour_weight");
            p.trr_tracked_rows = v.number("trr_tracked_rows");
            p.refresh_override_s = v.number("refresh_interval_s");
            p.polarity = CellPolarity::from(v);
            return std::make_unique<RowHammer>(std::move(p));
          },
          true};
}

}  // namespace weightfault::memory

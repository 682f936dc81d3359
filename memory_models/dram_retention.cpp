// dram_retention: DRAM cells that lose their charge before the next refresh.
//
// Every cell has a retention time at a reference temperature from one of two
// log-normal populations -- a main population (most cells, long retention)
// and a sparse leaky tail (Hamamoto et al., TED 1998; Kim & Lee, EDL 2009).
// Retention scales with temperature by Arrhenius,
//   t_ret(T) = t_ret(T0) * exp[(Ea / k) (1/T - 1/T0)],
// and a cell fails while t_ret(T(t)) < tREF (the refresh window). A failing
// cell loses its charge: a true cell then reads 0, an anti cell 1 (only
// charged cells fail; memory_models/cell_polarity.h), and refresh restores
// the wrong value, so the error stays until the word is rewritten. After a
// rewrite the cell fails again the first time it is hot enough.
//
// Also: variable retention time (a fraction of tail cells switch between
// their retention and retention / vrt_ratio as a two-state telegraph process
// with exponential dwell times; Liu et al., ISCA 2013); new weak cells
// appearing with age (AVATAR, DSN 2015); and weak rows and columns whose cells
// are weak at a multiple of the tail density (EDEN's wordline and bitline
// correlated models, MICRO 2019). Sources and tags: docs/physics.md.
//
// Sampling costs O(weak cells): only cells that can fail under the hottest
// temperature of the profile are drawn (a truncated log-normal), and each is
// checked exactly against the temperature profile in every write window that
// a checkpoint reads (unobserved episodes are not materialized).
#include <algorithm>
#include <boost/random/bernoulli_distribution.hpp>
#include <boost/random/exponential_distribution.hpp>
#include <boost/random/poisson_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>

#include "memory_models/cell_polarity.h"
#include "memory_models/fault_model.h"
#include "memory_models/normal_cdf.h"
#include "memory_models/weak_lines.h"
#include "memory_models/write_windows.h"

namespace weightfault::memory {
namespace {

constexpr double kBoltzmannEvPerK = 8.617333e-5;
constexpr double kKelvin = 273.15;
constexpr double kSecondsPerYear = 365.25 * 86400.0;

// A log-normal retention population with its own Arrhenius parameters.
struct Population {
  double density = 0.0;   // fraction of cells
  double median_s = 1.0;  // at reference_c
  double sigma_ln = 1.0;
  double ea_ev = 0.6;
  double reference_c = 45.0;

  // Arrhenius factor: how much shorter retention is at temperature_c than at the reference.
  double acceleration(double temperature_c) const {
    return std::exp(ea_ev / kBoltzmannEvPerK *
                    (1.0 / (reference_c + kKelvin) - 1.0 / (temperature_c + kKelvin)));
  }
  // Fraction of the population with reference retention below `threshold_s`.
  double cdf(double threshold_s) const {
    if (!(threshold_s > 0.0)) return 0.0;
    return normal_cdf((std::log(threshold_s) - std::log(median_s)) / sigma_ln);
  }
  // Reference retention below which a cell fails at temperature_c with refresh tREF.
  double threshold_s(double temperature_c, double refresh_s) const {
    return refresh_s * acceleration(temperature_c);
  }
  // Temperature above which a cell of reference retention `retention_s` fails (+inf: never).
  double critical_c(double retention_s, double refresh_s) const {
    const double inv = 1.0 / (reference_c + kKelvin) +
                       kBoltzmannEvPerK / ea_ev * std::log(refresh_s / retention_s);
    return inv > 0.0 ? 1.0 / inv - kKelvin : INFINITY;
  }
  // The reference retention at cdf value u.
  double quantile(double u) const {
    const double p = std::clamp(u, 1e-300, std::nextafter(1.0, 0.0));
    return std::exp(std::log(median_s) + sigma_ln * normal_quantile(p));
  }
  // Fraction of the population with reference retention in [low_s, high_s).
  double band(double low_s, double high_s) const {
    return high_s > low_s ? cdf(high_s) - cdf(low_s) : 0.0;
  }
  // A retention drawn from the population truncated to [low_s, high_s).
  double draw_between(double low_s, double high_s, Rng& rng) const {
    const double bottom = cdf(low_s);
    const double u = bottom + boost::random::uniform_real_distribution<double>(0.0, 1.0)(rng) *
                                  (cdf(high_s) - bottom);
    return quantile(u);
  }
};

// Manufacturer screening: cells that fail a retention test at screen_temperature_c with a
// window of screen_refresh_s * screen_guardband are repaired (remapped to spare rows and
// columns) before shipping and never fail in the field. A VRT cell is tested in the state it
// happens to be in; one in its high state passes and can fail later when low (Khan et al.,
// SIGMETRICS 2014). Cells born after shipping (aging) were never tested.
struct Screening {
  double temperature_c = 85.0;
  double refresh_s = 0.064;
  double guardband = 4.0;  // 0: no screening (the raw population)

  // Reference retention below which a cell of `population` fails the test (0: none).
  double threshold_s(const Population& population) const {
    return guardband > 0.0 ? population.threshold_s(temperature_c, refresh_s * guardband) : 0.0;
  }
};

struct RetentionParams {
  Population tail, main;
  Screening screening;
  double vrt_fraction = 0.3;
  double vrt_ratio = 4.0;
  double vrt_dwell_high_s = 36000.0, vrt_dwell_low_s = 36000.0;
  double tail_growth_per_year = 0.1;
  double weak_row_fraction = 0.0, weak_column_fraction = 0.0, weak_line_factor = 100.0;
  CellPolarity polarity;
  double refresh_override_s = 0.0;  // 0: the timeline's refresh window
};

struct Candidate {
  std::uint64_t bit = 0;
  double retention_s = 0.0;  // at the population's reference temperature
  const Population* population = nullptr;
  double born_s = 0.0;
  bool vrt = false;
};

class DramRetention final : public FaultModel {
 public:
  explicit DramRetention(RetentionParams p) : p_(std::move(p)) {}

  double refresh_of(const FaultModelContext& ctx) const {
    return p_.refresh_override_s > 0.0 ? p_.refresh_override_s : ctx.refresh_interval_s;
  }
  // Stationary probability that a VRT cell is in its low state.
  double pi_low() const { return p_.vrt_dwell_low_s / (p_.vrt_dwell_high_s + p_.vrt_dwell_low_s); }
  // VRT tail cells (as a share of the tail) that survive screening and can fail below
  // `low_state_theta_s` in their low state: those above the test threshold s, less those
  // below vrt_ratio * s that were low (and so failed) at the test.
  double vrt_shipped_share(double low_state_theta_s) const {
    const double s = p_.screening.threshold_s(p_.tail);
    return p_.tail.band(s, low_state_theta_s) -
           pi_low() * p_.tail.band(s, std::min(low_state_theta_s, p_.vrt_ratio * s));
  }

  void generate(const FaultModelContext& ctx, Rng& rng, FaultMap& sink) const override {
    if (ctx.extent_bits == 0) return;
    const auto windows = observed_windows(ctx);
    if (windows.empty()) return;
    const Profile& temperature = ctx.env().temperature_c;
    const double hottest_c = temperature.global_max();
    const double refresh_s = refresh_of(ctx);
    const double bits = static_cast<double>(ctx.extent_bits);
    std::vector<Candidate> cells;
    boost::random::uniform_int_distribution<std::uint64_t> where(0, ctx.extent_bits - 1);
    const auto poisson = [&](double mean) -> std::uint64_t {
      if (!(mean > 0.0)) return 0;
      return boost::random::poisson_distribution<std::uint64_t, double>(mean)(rng);
    };
    // Cells that can fail at the hottest temperature (VRT cells in their low state).
    // Shipped cells lie above the screening threshold.
    const double tail_theta = p_.tail.threshold_s(hottest_c, refresh_s);
    const double vrt_theta = tail_theta * p_.vrt_ratio;
    const double tail_screen = p_.screening.threshold_s(p_.tail);
    boost::random::uniform_real_distribution<double> unit(0.0, 1.0);
    const double tail_cells = bits * p_.tail.density;
    for (std::uint64_t k =
             poisson(tail_cells * (1.0 - p_.vrt_fraction) * p_.tail.band(tail_screen, tail_theta));
         k > 0; --k) {
      const std::uint64_t bit = where(rng);
      cells.push_back(
          {bit, p_.tail.draw_between(tail_screen, tail_theta, rng), &p_.tail, 0.0, false});
    }
    // VRT cells above the test threshold; those that would have failed it in their low
    // state were low at the test with probability pi_low and were repaired.
    for (std::uint64_t k =
             poisson(tail_cells * p_.vrt_fraction * p_.tail.band(tail_screen, vrt_theta));
         k > 0; --k) {
      const std::uint64_t bit = where(rng);
      const double retention_s = p_.tail.draw_between(tail_screen, vrt_theta, rng);
      if (retention_s < p_.vrt_ratio * tail_screen && unit(rng) < pi_low()) continue;
      cells.push_back({bit, retention_s, &p_.tail, 0.0, true});
    }
    const double main_theta = p_.main.threshold_s(hottest_c, refresh_s);
    const double main_screen = p_.screening.threshold_s(p_.main);
    for (std::uint64_t k = poisson(bits * p_.main.density * p_.main.band(main_screen, main_theta));
         k > 0; --k) {
      const std::uint64_t bit = where(rng);
      cells.push_back(
          {bit, p_.main.draw_between(main_screen, main_theta, rng), &p_.main, 0.0, false});
    }
    add_weak_lines(ctx, tail_screen, tail_theta, rng, cells);
    // New weak cells: the tail grows with age; a newborn cell's retention is a tail draw and
    // was never screened.
    const double born_mean = born_per_s(ctx) * (ctx.t1_s - ctx.t0_s) * p_.tail.cdf(tail_theta);
    boost::random::uniform_real_distribution<double> when(ctx.t0_s, ctx.t1_s);
    for (std::uint64_t k = poisson(born_mean); k > 0; --k) {
      const std::uint64_t bit = where(rng);
      const double born_s = when(rng);
      cells.push_back({bit, p_.tail.draw_between(0.0, tail_theta, rng), &p_.tail, born_s, false});
    }
    for (const auto& cell : cells) emit(ctx, cell, windows, rng, sink);
  }

  double expected_faults(const FaultModelContext& ctx) const override {
    // Weak cells drawn: those that can fail at the hottest temperature of the mission.
    const double hottest_c = ctx.env().temperature_c.global_max();
    const double refresh_s = refresh_of(ctx);
    const double bits = static_cast<double>(ctx.extent_bits);
    const double theta = p_.tail.threshold_s(hottest_c, refresh_s);
    const double screen = p_.screening.threshold_s(p_.tail);
    return bits * p_.tail.density *
               ((1.0 - p_.vrt_fraction) * p_.tail.band(screen, theta) +
                p_.vrt_fraction * vrt_shipped_share(theta * p_.vrt_ratio)) +
           bits * p_.main.density *
               p_.main.band(p_.screening.threshold_s(p_.main),
                            p_.main.threshold_s(hottest_c, refresh_s)) +
           weak_line_cells(ctx) * p_.tail.band(screen, theta) +
           born_per_s(ctx) * (ctx.t1_s - ctx.t0_s) * p_.tail.cdf(theta);
  }

  double expected_active(const FaultModelContext& ctx, double t_s) const override {
    const Profile& temperature = ctx.env().temperature_c;
    const double refresh_s = refresh_of(ctx);
    const double bits = static_cast<double>(ctx.extent_bits);
    const double w = ctx.last_write_at_or_before(t_s);
    const double hot_c = temperature.max_over(w, t_s);
    const double theta = p_.tail.threshold_s(hot_c, refresh_s);
    const double screen = p_.screening.threshold_s(p_.tail);
    const double vrt = vrt_failing_share(temperature, w, t_s, refresh_s);
    double expected =
        bits * p_.tail.density *
            ((1.0 - p_.vrt_fraction) * p_.tail.band(screen, theta) + p_.vrt_fraction * vrt) +
        bits * p_.main.density *
            p_.main.band(p_.screening.threshold_s(p_.main), p_.main.threshold_s(hot_c, refresh_s)) +
        weak_line_cells(ctx) * p_.tail.band(screen, theta);
    // Born cells: those born before the window see all of it; later ones from birth on.
    const double per_s = born_per_s(ctx);
    double born = (w - ctx.t0_s) * p_.tail.cdf(theta);
    constexpr int kSteps = 64;
    for (int i = 0; i < kSteps && t_s > w; ++i) {
      const double b = w + (i + 0.5) * (t_s - w) / kSteps;
      born += p_.tail.cdf(p_.tail.threshold_s(temperature.max_over(b, t_s), refresh_s)) *
              (t_s - w) / kSteps;
    }
    return expected + per_s * born;
  }

 private:
  // New tail cells per second: the tail density grows by tail_growth_per_year of itself.
  double born_per_s(const FaultModelContext& ctx) const {
    return static_cast<double>(ctx.extent_bits) * p_.tail.density * p_.tail_growth_per_year /
           kSecondsPerYear;
  }
  // VRT tail cells shipped and failing by t_s in the write window from w, as a share of the
  // tail population: a cell whose high state fails at the window's hottest moment fails in
  // either state; a cell whose low state alone can fail, iff the telegraph process is low
  // at some moment at least as hot as that state's critical temperature -- the exact
  // two-state probability over the window's hot stretches, integrated over retention by
  // 64-point midpoint quadrature in the cdf. Screening removes cells below the test
  // threshold s and, with probability pi_low, those below vrt_ratio * s. (Using the
  // window's peak temperature for the whole window overstated it under a cycling
  // temperature: z = -3.2 in the datacenter scenario's report.)
  double vrt_failing_share(const Profile& temperature, double w, double t_s,
                           double refresh_s) const {
    const double theta_high = p_.tail.threshold_s(temperature.max_over(w, t_s), refresh_s);
    const double screen = p_.screening.threshold_s(p_.tail);
    const double top = theta_high * p_.vrt_ratio;
    if (!(top > screen)) return 0.0;  // every cell that could fail was repaired
    // Pieces of [screen, top) on which the shipped share and the failure rule are fixed.
    std::vector<double> edges{screen, top};
    for (const double e : {p_.vrt_ratio * screen, theta_high}) {
      if (e > screen && e < top) edges.push_back(e);
    }
    std::sort(edges.begin(), edges.end());
    double share = 0.0;
    for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
      const double a = edges[i], b = edges[i + 1];
      if (!(b > a)) continue;
      const double shipped = a < p_.vrt_ratio * screen ? 1.0 - pi_low() : 1.0;
      const double u_a = p_.tail.cdf(a), u_b = p_.tail.cdf(b);
      if (b <= theta_high) {
        share += shipped * (u_b - u_a);
        continue;
      }
      constexpr int kNodes = 64;
      double low_only = 0.0;
      for (int k = 0; k < kNodes; ++k) {
        const double retention_s = p_.tail.quantile(u_a + (k + 0.5) / kNodes * (u_b - u_a));
        const double critical_low_c = p_.tail.critical_c(retention_s / p_.vrt_ratio, refresh_s);
        low_only += visits_low_while_above(temperature, w, t_s, critical_low_c);
      }
      share += shipped * (u_b - u_a) * low_only / kNodes;
    }
    return share;
  }

  // Probability that the stationary telegraph process is low at some moment of [w, t_s]
  // at which the temperature exceeds `critical_c`: 1 - P(high throughout those stretches),
  // carried as the joint (state, no visit yet) probabilities through cool and hot
  // stretches in turn.
  double visits_low_while_above(const Profile& temperature, double w, double t_s,
                                double critical_c) const {
    const double rate_h = 1.0 / p_.vrt_dwell_high_s, rate_l = 1.0 / p_.vrt_dwell_low_s;
    const double pi_l = pi_low();
    double high = 1.0 - pi_l, low = pi_l;       // no visit yet, by state
    const auto cool = [&](double duration_s) {  // free two-state evolution
      const double moved = -std::expm1(-(rate_h + rate_l) * duration_s);
      const double to_low = high * pi_l * moved, to_high = low * (1.0 - pi_l) * moved;
      high += to_high - to_low;
      low += to_low - to_high;
    };
    double at = w;
    while (at < t_s) {
      const auto hot_from = temperature.first_above(at, t_s, critical_c);
      cool((hot_from ? *hot_from : t_s) - at);
      if (!hot_from) break;
      const auto hot_until = temperature.first_below(*hot_from, t_s, critical_c);
      const double end = hot_until ? *hot_until : t_s;
      low = 0.0;  // low on entering a hot stretch: visited
      high *= std::exp(-rate_h * (end - *hot_from));
      if (!hot_until) break;
      at = end;
    }
    return 1.0 - (high + low);
  }

  // Extra tail-density cells on weak rows and columns (per unit of tail cdf).
  double weak_line_cells(const FaultModelContext& ctx) const {
    const double bits = static_cast<double>(ctx.extent_bits);
    return (p_.weak_row_fraction + p_.weak_column_fraction) * bits * p_.tail.density *
           (p_.weak_line_factor - 1.0);
  }

  void add_weak_lines(const FaultModelContext& ctx, double screen_s, double theta_s, Rng& rng,
                      std::vector<Candidate>& cells) const {
    const double extra_density =
        p_.tail.density * (p_.weak_line_factor - 1.0) * p_.tail.band(screen_s, theta_s);
    for (const bool row : {true, false}) {
      draw_weak_line_cells(ctx.mapping, ctx.extent_bits, row,
                           row ? p_.weak_row_fraction : p_.weak_column_fraction, extra_density, rng,
                           [&](std::uint64_t bit) {
                             cells.push_back({bit, p_.tail.draw_between(screen_s, theta_s, rng),
                                              &p_.tail, 0.0, false});
                           });
    }
  }

  // One record per observed write window in which the cell fails: from the first
  // failing moment to the next write.
  void emit(const FaultModelContext& ctx, const Candidate& cell,
            const std::vector<WriteWindow>& windows, Rng& rng, FaultMap& sink) const {
    const Profile& temperature = ctx.env().temperature_c;
    const double refresh_s = refresh_of(ctx);
    const FaultKind kind = p_.polarity.discharged(ctx.mapping.to_physical(cell.bit));
    const double critical_high = cell.population->critical_c(cell.retention_s, refresh_s);
    const double critical_low =
        cell.vrt ? cell.population->critical_c(cell.retention_s / p_.vrt_ratio, refresh_s)
                 : critical_high;
    // Telegraph state of a VRT cell: known at `state_s`.
    const double rate_h = 1.0 / p_.vrt_dwell_high_s, rate_l = 1.0 / p_.vrt_dwell_low_s;
    const double pi_l = pi_low();
    boost::random::uniform_real_distribution<double> unit(0.0, 1.0);
    double state_s = cell.born_s;
    bool low = cell.vrt && unit(rng) < pi_l;
    const auto advance = [&](double to_s) {
      const double p_low =
          pi_l + ((low ? 1.0 : 0.0) - pi_l) * std::exp(-(rate_h + rate_l) * (to_s - state_s));
      low = unit(rng) < p_low;
      state_s = to_s;
    };
    for (const auto& win : windows) {
      const double from_s = std::max(win.start_s, cell.born_s);
      const double to_s = win.last_checkpoint_s;
      if (from_s > to_s) continue;
      std::optional<double> onset;
      if (!cell.vrt) {
        onset = temperature.first_above(from_s, to_s, critical_high);
      } else {
        advance(from_s);
        double t = from_s;
        while (t <= to_s && !onset) {
          const double dwell =
              boost::random::exponential_distribution<double>(low ? rate_l : rate_h)(rng);
          const double end = std::min(t + dwell, to_s);
          onset = temperature.first_above(t, end, low ? critical_low : critical_high);
          if (onset || t + dwell > to_s) break;
          t += dwell;
          low = !low;
        }
        state_s = onset ? *onset : to_s;
      }
      if (onset) sink.add(BitFault{cell.bit, kind, ctx.model_index, *onset, win.end_s});
    }
  }

  RetentionParams p_;
};

}  // namespace

FaultModelInfo dram_retention_info() {
  const double ten_hours_s = 36000.0;
  std::vector<ParamDecl> params{
      number_param("tail_density", "cells/bit",
                   "fraction of cells in the leaky tail (9.8e-5: fit of the log-normal tail with "
                   "its VRT cells to the RAIDR and RAPID anchors, docs/validation.md [E])",
                   0.0, 1.0, 9.8e-5, true),
      number_param("tail_median_s", "s", "median tail retention at tail_reference_c (fit [E])",
                   1e-6, 1e9, 13.5, true),
      number_param("tail_sigma_ln", "", "log-normal sigma of tail retention (fit [E])", 0.01, 10.0,
                   0.75, true),
      number_param("tail_ea_ev", "eV",
                   "activation energy of tail cells (0.6, Hamamoto 1998 [R]; ~2x per 10 C)", 0.05,
                   3.0, 0.6, true),
      number_param("tail_reference_c", "C", "temperature of the tail anchors (RAIDR 45 C [R])",
                   -60.0, 200.0, 45.0, false),
      number_param("main_median_s", "s",
                   "median retention of the main population (> 40 s, Kim & Lee 2009 [V-abs])", 1e-3,
                   1e12, 40.0, true),
      number_param("main_sigma_ln", "", "log-normal sigma of main retention [E]", 0.01, 10.0, 0.25,
                   false),
      number_param("main_ea_ev", "eV", "activation energy of main cells (~1.0 [R])", 0.05, 3.0, 1.0,
                   false),
      number_param("main_reference_c", "C", "temperature of the main-population median [E]", -60.0,
                   200.0, 85.0, false),
      number_param("vrt_fraction", "", "fraction of tail cells with variable retention time [E]",
                   0.0, 1.0, 0.3, true),
      number_param("vrt_ratio", "", "high / low retention of a VRT cell (4, range 2-10 [E])", 1.0,
                   1000.0, 4.0, false),
      number_param("vrt_dwell_high_s", "s", "mean time in the high-retention state (10 h [E])", 1.0,
                   1e12, ten_hours_s, false),
      number_param("vrt_dwell_low_s", "s", "mean time in the low-retention state (10 h [E])", 1.0,
                   1e12, ten_hours_s, false),
      number_param("tail_growth_per_year", "1/year",
                   "new leaky cells appearing with age, as a fraction of the tail per year "
                   "(weak cells 'emerge slowly over time', AVATAR DSN 2015 [V-abs]; 0.1 [E])",
                   0.0, 1e3, 0.1, true),
      number_param("weak_row_fraction", "",
                   "fraction of wordlines that are weak (EDEN model 2 [E])", 0.0, 1.0, 0.0, true),
      number_param("weak_column_fraction", "",
                   "fraction of bitlines that are weak (EDEN model 1 [E])", 0.0, 1.0, 0.0, true),
      number_param("weak_line_factor", "", "tail density on a weak line relative to elsewhere [E]",
                   1.0, 1e6, 100.0, false),
      number_param("screen_temperature_c", "C",
                   "temperature of the manufacturer's retention test (85 C: top of the JEDEC "
                   "normal range, JESD79 [R]; 105 C for automotive grade 2 parts [R])",
                   -60.0, 200.0, 85.0, true),
      number_param("screen_refresh_s", "s",
                   "refresh window the parts are specified for at screen_temperature_c "
                   "(JEDEC 0.064 [R])",
                   1e-4, 1e4, 0.064, true),
      number_param("screen_guardband", "",
                   "the test holds data screen_guardband x screen_refresh_s; failing cells are "
                   "repaired before shipping (4 [E]: >= vrt_ratio, so no VRT cell escapes at "
                   "spec); 0 = unscreened (the raw population of the anchors)",
                   0.0, 1e3, 4.0, true),
      number_param("refresh_interval_s", "s",
                   "refresh window for this memory; 0 = the timeline's refresh_interval_s "
                   "(sweep it to compare refresh choices; JEDEC 0.064, 0.032 above 85 C)",
                   0.0, 1e4, 0.0, true)};
  const auto polarity = CellPolarity::params();
  params.insert(params.end(), polarity.begin(), polarity.end());
  return {
      "dram_retention",
      "DRAM retention failures: main + leaky-tail log-normal retention, Arrhenius temperature, "
      "refresh window, true/anti cells, VRT, new weak cells with age, weak rows/columns",
      std::move(params),
      [](const ParamValues& v) {
        RetentionParams p;
        p.tail = {v.number("tail_density"), v.number("tail_median_s"), v.number("tail_sigma_ln"),
                  v.number("tail_ea_ev"), v.number("tail_reference_c")};
        p.main = {1.0 - v.number("tail_density"), v.number("main_median_s"),
                  v.number("main_sigma_ln"), v.number("main_ea_ev"), v.number("main_reference_c")};
        p.screening = {v.number("screen_temperature_c"), v.number("screen_refresh_s"),
                       v.number("screen_guardband")};
        p.vrt_fraction = v.number("vrt_fraction");
        p.vrt_ratio = v.number("vrt_ratio");
        p.vrt_dwell_high_s = v.number("vrt_dwell_high_s");
        p.vrt_dwell_low_s = v.number("vrt_dwell_low_s");
        p.tail_growth_per_year = v.number("tail_growth_per_year");
        p.weak_row_fraction = v.number("weak_row_fraction");
        p.weak_column_fraction = v.number("weak_column_fraction");
        p.weak_line_factor = v.number("weak_line_factor");
        p.refresh_override_s = v.number("refresh_interval_s");
        p.polarity = CellPolarity::from(v);
        return std::make_unique<DramRetention>(std::move(p));
      },
      true};
}

}  // namespace weightfault::memory

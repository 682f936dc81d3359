// sram_cell: SRAM cells that fail at low supply voltage.
//
// Every cell has a minimum operating voltage drawn once (persistent weak
// cells) from a probit model,
//   Vmin_i(T, t) = mu + sigma z_i + k_T (T - T0) + A (t / 10 y)^n,   z_i ~ N(0, 1),
// with a temperature coefficient k_T and BTI-like aging drift A t^n (n = 0.2);
// so the failing fraction at voltage V is Phi((mu + shifts - V) / sigma). A cell
// fails while vdd(t) < Vmin_i(T(t), t): it loses its content and reads the
// value its mismatch favours (0 or 1, one per cell), which stays until the
// word is rewritten. Weak columns (a fraction of bitlines) have their mean
// shifted up by weak_column_shift_v. Sources and tags: docs/physics.md.
// Soft errors rising at low voltage are seu's part (its vdd term).
//
// Sampling: only cells that can fail at the worst margin of the mission
// (lowest vdd, worst temperature, full aging) are drawn, from the upper tail
// of the normal; each is then checked at every checkpoint against the
// profiles (aging taken at the checkpoint; where vdd and temperature both
// vary, the worst temperature of the stretch -- a conservative simplification).
#include <boost/random/bernoulli_distribution.hpp>
#include <boost/random/poisson_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>

#include "memory_models/fault_model.h"
#include "memory_models/normal_cdf.h"
#include "memory_models/weak_lines.h"

namespace weightfault::memory {
namespace {

constexpr double kTenYearsS = 10.0 * 365.25 * 86400.0;

struct SramParams {
  double vmin_mean_v = 0.245, vmin_sigma_v = 0.082;
  double temperature_coefficient_v_per_c = 3e-4;
  double reference_c = 25.0;
  double aging_v_at_10y = 0.030, aging_exponent = 0.2;
  double vdd_nominal_v = 0.9;
  double weak_column_fraction = 0.0, weak_column_shift_v = 0.05;
};

class SramCell final : public FaultModel {
 public:
  explicit SramCell(SramParams p) : p_(p) {}

  void generate(const FaultModelContext& ctx, Rng& rng, FaultMap& sink) const override {
    if (ctx.extent_bits == 0) return;
    const double worst = worst_margin_v(ctx.env(), ctx.t0_s, ctx.t1_s, ctx.t1_s);
    const double bits = static_cast<double>(ctx.extent_bits);
    boost::random::uniform_int_distribution<std::uint64_t> where(0, ctx.extent_bits - 1);
    boost::random::uniform_real_distribution<double> unit(0.0, 1.0);
    boost::random::bernoulli_distribution<double> coin(0.5);
    const auto poisson = [&](double mean) -> std::uint64_t {
      return mean > 0.0 ? boost::random::poisson_distribution<std::uint64_t, double>(mean)(rng) : 0;
    };
    // A Vmin from the part of N(mean, sigma) above `floor_v`.
    const auto vmin_above = [&](double mean_v, double floor_v) {
      const double q = normal_cdf((mean_v - floor_v) / p_.vmin_sigma_v);
      const double u = std::max(unit(rng) * q, 1e-300);
      return mean_v - p_.vmin_sigma_v * normal_quantile(u);
    };
    const auto emit = [&](std::uint64_t bit, double vmin_v) {
      const FaultKind kind = coin(rng) ? FaultKind::stuck_at_1 : FaultKind::stuck_at_0;
      emit_cell(ctx, bit, vmin_v, kind, sink);
    };
    const double q = normal_cdf((p_.vmin_mean_v - worst) / p_.vmin_sigma_v);
    for (std::uint64_t k = poisson(bits * q); k > 0; --k) {
      const std::uint64_t bit = where(rng);
      emit(bit, vmin_above(p_.vmin_mean_v, worst));
    }
    // Weak columns: bitlines (rows cells each) with a higher mean Vmin.
    const double shifted = p_.vmin_mean_v + p_.weak_column_shift_v;
    const double q_weak = normal_cdf((shifted - worst) / p_.vmin_sigma_v);
    draw_weak_line_cells(ctx.mapping, ctx.extent_bits, false, p_.weak_column_fraction, q_weak, rng,
                         [&](std::uint64_t bit) { emit(bit, vmin_above(shifted, worst)); });
  }

  // Cells that can fail at the worst margin of the mission (the ones drawn).
  double expected_faults(const FaultModelContext& ctx) const override {
    return failing_cells(ctx, worst_margin_v(ctx.env(), ctx.t0_s, ctx.t1_s, ctx.t1_s));
  }

  // Exact when vdd and temperature are constant over the write window.
  double expected_active(const FaultModelContext& ctx, double t_s) const override {
    const double w = ctx.last_write_at_or_before(t_s);
    return failing_cells(ctx, worst_margin_v(ctx.env(), w, t_s, t_s));
  }

 private:
  double failing_cells(const FaultModelContext& ctx, double margin_v) const {
    const double bits = static_cast<double>(ctx.extent_bits);
    const double base = normal_cdf((p_.vmin_mean_v - margin_v) / p_.vmin_sigma_v);
    const double weak =
        normal_cdf((p_.vmin_mean_v + p_.weak_column_shift_v - margin_v) / p_.vmin_sigma_v);
    // Weak columns hold fraction * bits cells, each at the shifted mean.
    return bits * base + p_.weak_column_fraction * bits * weak;
  }
  double aging_v(double t_s) const {
    return t_s > 0.0 ? p_.aging_v_at_10y * std::pow(t_s / kTenYearsS, p_.aging_exponent) : 0.0;
  }
  double temperature_shift_v(double temperature_c) const {
    return p_.temperature_coefficient_v_per_c * (temperature_c - p_.reference_c);
  }
  // Worst-case temperature shift of Vmin over [a, b].
  double worst_temperature_shift_v(const Environment& env, double a_s, double b_s) const {
    return std::max(temperature_shift_v(env.temperature_c.max_over(a_s, b_s)),
                    temperature_shift_v(env.temperature_c.min_over(a_s, b_s)));
  }
  // Lowest vdd minus the largest Vmin shift over [a, b], aging taken at aging_at_s.
  double worst_margin_v(const Environment& env, double a_s, double b_s, double aging_at_s) const {
    const double vdd = env.vdd_v ? env.vdd_v->min_over(a_s, b_s) : p_.vdd_nominal_v;
    return vdd - worst_temperature_shift_v(env, a_s, b_s) - aging_v(aging_at_s);
  }

  // First moment in [a, b] at which a cell of base Vmin vmin_v fails, aging taken at b.
  std::optional<double> first_failure(const Environment& env, double a_s, double b_s,
                                      double vmin_v) const {
    const double aged = vmin_v + aging_v(b_s);
    const bool vdd_varies = env.vdd_v && !env.vdd_v->is_constant();
    const bool t_varies =
        !env.temperature_c.is_constant() && p_.temperature_coefficient_v_per_c != 0.0;
    if (vdd_varies) {
      return env.vdd_v->first_below(a_s, b_s, aged + worst_temperature_shift_v(env, a_s, b_s));
    }
    const double vdd = env.vdd_v ? env.vdd_v->global_max() : p_.vdd_nominal_v;
    if (t_varies) {
      // vdd < aged + k (T - T0)  <=>  T beyond T0 + (vdd - aged) / k.
      const double k = p_.temperature_coefficient_v_per_c;
      const double critical_c = p_.reference_c + (vdd - aged) / k;
      return k > 0.0 ? env.temperature_c.first_above(a_s, b_s, critical_c)
                     : env.temperature_c.first_below(a_s, b_s, critical_c);
    }
    if (vdd < aged + temperature_shift_v(env.temperature_c.global_max())) return a_s;
    return std::nullopt;
  }

  void emit_cell(const FaultModelContext& ctx, std::uint64_t bit, double vmin_v, FaultKind kind,
                 FaultMap& sink) const {
    double window_s = -1.0, checked_s = 0.0;
    bool failed = false;
    for (const double c : ctx.checkpoints_s) {
      if (c < ctx.t0_s || c > ctx.t1_s) continue;
      const double w = ctx.last_write_at_or_before(c);
      if (w != window_s) {
        window_s = w;
        checked_s = w;
        failed = false;
      }
      if (failed) continue;
      if (auto onset = first_failure(ctx.env(), checked_s, c, vmin_v)) {
        // The previous checkpoint saw the cell working: it failed after it.
        if (checked_s > w && *onset <= checked_s) onset = std::nextafter(checked_s, c);
        sink.add(BitFault{bit, kind, ctx.model_index, *onset, ctx.next_write_after(c)});
        failed = true;
      }
      checked_s = c;
    }
  }

  SramParams p_;
};

}  // namespace

FaultModelInfo sram_cell_info() {
  return {
      "sram_cell",
      "SRAM low-voltage failures: persistent per-cell Vmin (probit) with temperature "
      "coefficient, BTI aging drift and weak columns; a cell fails while vdd < Vmin",
      {number_param("vmin_mean_v", "V",
                    "mean cell Vmin (0.245: probit fit to Wilkerson ISCA 2008 anchors, 1e-3 at "
                    "500 mV and 1e-12 at 825 mV [E])",
                    0.0, 5.0, 0.245, true),
       number_param("vmin_sigma_v", "V", "spread of cell Vmin (0.082, same fit [E])", 1e-4, 2.0,
                    0.082, true),
       number_param("temperature_coefficient_v_per_c", "V/C",
                    "Vmin shift per degree above reference_c (+0.3 mV/C [E]; sign depends on the "
                    "failure mechanism)",
                    -0.01, 0.01, 3e-4, true),
       number_param("reference_c", "C", "temperature at which vmin_mean_v holds [E]", -60.0, 200.0,
                    25.0, false),
       number_param("aging_v_at_10y", "V",
                    "Vmin drift after 10 years (30 mV: NBTI power law [R/E])", 0.0, 1.0, 0.030,
                    true),
       number_param("aging_exponent", "", "time exponent n of the drift A t^n (0.2 [R])", 0.01, 1.0,
                    0.2, false),
       number_param("vdd_nominal_v", "V",
                    "supply voltage when the scenario's environment gives no vdd_v [E]", 0.05, 5.0,
                    0.9, true),
       number_param("weak_column_fraction", "",
                    "fraction of bitlines that are weak (Stutz MLSys 2021 column structure [R]; "
                    "value [E])",
                    0.0, 1.0, 0.0, true),
       number_param("weak_column_shift_v", "V", "Vmin increase on a weak column [E]", 0.0, 1.0,
                    0.05, false)},
      [](const ParamValues& v) {
        SramParams p;
        p.vmin_mean_v = v.number("vmin_mean_v");
        p.vmin_sigma_v = v.number("vmin_sigma_v");
        p.temperature_coefficient_v_per_c = v.number("temperature_coefficient_v_per_c");
        p.reference_c = v.number("reference_c");
        p.aging_v_at_10y = v.number("aging_v_at_10y");
        p.aging_exponent = v.number("aging_exponent");
        p.vdd_nominal_v = v.number("vdd_nominal_v");
        p.weak_column_fraction = v.number("weak_column_fraction");
        p.weak_column_shift_v = v.number("weak_column_shift_v");
        return std::make_unique<SramCell>(p);
      },
      true};
}

}  // namespace weightfault::memory

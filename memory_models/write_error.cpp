// write_error: cells written wrongly.
//
// stt_mram: a magnetic tunnel junction switches only when the written bit
// differs from its state; a switching write fails with the write error rate
// of the precessional regime (Butler et al., TMAG 2012, closed form as used in
// docs/physics.md),
//   WER(i, t_p) = 1 - exp{ -(pi^2 Delta / 4) (i - 1) / (i e^{2 (i - 1) t_p / tau_D} - 1) },
// with i = I / Ic0 the overdrive for that switching direction (0 -> 1 and
// 1 -> 0 have their own), or for i <= 1 the thermally activated regime
// WER = exp(-t_p / (tau_0 e^{Delta (1 - i)})). Weights are first written over
// cells at erased_value (0, 1 or random), so a cell fails iff its bit differs
// from its initial value and the switch fails: a content-independent "reads
// its initial value" fault.
// A rewrite switches it again, failing again with the same probability; a
// cell already right is not switched and cannot fail.
//
// dram: every write of the charged state restores charge within the
// write-recovery time t_WR; a cell needs t_req ~ N(mean, sigma) (design-
// induced and process variation; DIVA/FLY-DRAM form [R/E]). The manufacturer's test
// writes at the specified tWR less a guardband (t_screen) and repairs every cell that
// needs longer, so in the field a cell fails iff t_WR < t_req <= t_screen:
// P = [Phi((t_screen - mean) / sigma) - Phi((t_WR - mean) / sigma)] / Phi((t_screen - mean) /
// sigma) (0 at t_WR >= t_screen, i.e. at nominal timing), reading the discharged value
// until its next write (each write is a fresh draw).
//
// Errors sit in [write, next write) per cell; only write windows some
// checkpoint reads are materialized.
#include <boost/random/bernoulli_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>
#include <numbers>

#include "memory_models/bernoulli_positions.h"
#include "memory_models/cell_polarity.h"
#include "memory_models/fault_model.h"
#include "memory_models/normal_cdf.h"

namespace weightfault::memory {
namespace {

struct WriteParams {
  std::string technology = "stt_mram";
  double thermal_stability = 60.0;
  double pulse_width_ns = 20.0;
  double tau_d_ns = 2.0;
  double tau_0_ns = 1.0;
  double current_ratio_0to1 = 2.0;  // overdrive I/Ic0 for switching 0 -> 1
  double current_ratio_1to0 = 2.0;  // and 1 -> 0 (P->AP and AP->P differ in real junctions)
  std::string erased_value = "0";   // "0", "1" or "random" (each cell 0 or 1, 1/2 each)
  double t_wr_ns = 15.0, t_req_mean_ns = 8.0, t_req_sigma_ns = 1.2, t_wr_screen_ns = 12.0;
  CellPolarity polarity;
};

// Smallest energy barrier (in kT) for which thermally activated (Arrhenius / Neel-Brown)
// switching is a valid description (Brown, Phys. Rev. 1963: barrier >> kT) [E: 5].
constexpr double kMinThermalBarrier = 5.0;

// A switching write fails when neither mechanism switches the cell within the pulse:
// WER = WER_precessional(i, t_p) x WER_thermal(i, t_p). The precessional closed form is
// used for every i > 0 (for i <= 1 it tends to 1 - exp(-pi^2 Delta (1 - i) / 4), no
// precessional switching); thermal activation over the barrier Delta (1 - i), floored at
// kMinThermalBarrier where the Arrhenius form stops holding -- so as the barrier vanishes
// at i = 1 the switching time no longer collapses to tau_0 (which made the rate jump from
// ~1e-9 at i = 1 to ~1 just above it). Both factors fall with i and with t_p, so WER is
// continuous and monotonic in current and pulse width (tests/test_fault_models.cpp).
double stt_write_error_rate(double delta, double i, double pulse_ns, double tau_d_ns,
                            double tau_0_ns) {
  const double pi2 = std::numbers::pi * std::numbers::pi;
  const double u = i - 1.0;
  const double a = 2.0 * pulse_ns / tau_d_ns;
  // (i - 1) / (i e^{a (i - 1)} - 1), with its limit 1 / (1 + a) at i = 1 (expm1 keeps the
  // difference exact near there).
  const double ratio = std::abs(u) < 1e-12 ? 1.0 / (1.0 + a) : u / (i * std::expm1(a * u) + u);
  const double precessional = -std::expm1(-(pi2 * delta / 4.0) * ratio);
  const double barrier = std::max(delta * (1.0 - i), kMinThermalBarrier);
  const double thermal = std::exp(-pulse_ns / (tau_0_ns * std::exp(barrier)));
  return precessional * thermal;
}

class WriteError final : public FaultModel {
 public:
  explicit WriteError(WriteParams p) : p_(std::move(p)) {}

  double stt_rate(double current_ratio) const {
    return stt_write_error_rate(p_.thermal_stability, current_ratio, p_.pulse_width_ns, p_.tau_d_ns,
                                p_.tau_0_ns);
  }
  // Probability that a cell starts at `value` and fails to switch away from it.
  double stt_rate_from(int value) const {
    const double share = p_.erased_value == "random"                ? 0.5
                         : (p_.erased_value == "1") == (value == 1) ? 1.0
                                                                    : 0.0;
    return share * stt_rate(value == 0 ? p_.current_ratio_0to1 : p_.current_ratio_1to0);
  }
  double per_bit_rate() const {
    if (p_.technology == "dram") {
      if (p_.t_wr_ns >= p_.t_wr_screen_ns) return 0.0;  // every such cell was repaired
      const double kept = normal_cdf((p_.t_wr_screen_ns - p_.t_req_mean_ns) / p_.t_req_sigma_ns);
      return (kept - normal_cdf((p_.t_wr_ns - p_.t_req_mean_ns) / p_.t_req_sigma_ns)) / kept;
    }
    return stt_rate_from(0) + stt_rate_from(1);
  }

  void generate(const FaultModelContext& ctx, Rng& rng, FaultMap& sink) const override {
    const double rate = per_bit_rate();
    if (ctx.extent_bits == 0 || !(rate > 0.0)) return;
    if (p_.technology == "dram") {
      // A fresh draw at every write some checkpoint observes.
      double last_window = -1.0;
      for (const double c : ctx.checkpoints_s) {
        if (c < ctx.t0_s || c > ctx.t1_s) continue;
        const double w = ctx.last_write_at_or_before(c);
        if (w == last_window) continue;
        last_window = w;
        const double end = ctx.next_write_after(c);
        for_each_bernoulli_position(ctx.extent_bits, rate, rng, [&](std::uint64_t bit) {
          sink.add(BitFault{bit, p_.polarity.discharged(ctx.mapping.to_physical(bit)),
                            ctx.model_index, w, end});
        });
      }
      return;
    }
    // STT-MRAM: failures of the first load (cells left at their initial value, one
    // thinned process per initial value); each rewrite retries the same switch.
    for (const int from : {0, 1}) {
      const double p = stt_rate_from(from);
      const FaultKind kind = from == 1 ? FaultKind::stuck_at_1 : FaultKind::stuck_at_0;
      boost::random::bernoulli_distribution<double> fails_again(
          stt_rate(from == 0 ? p_.current_ratio_0to1 : p_.current_ratio_1to0));
      for_each_bernoulli_position(ctx.extent_bits, p, rng, [&](std::uint64_t bit) {
        double clear_s = ctx.next_write_after(0.0);
        while (clear_s != kNever && fails_again(rng)) clear_s = ctx.next_write_after(clear_s);
        sink.add(BitFault{bit, kind, ctx.model_index, 0.0, clear_s});
      });
    }
  }

  double expected_faults(const FaultModelContext& ctx) const override {
    const double per_window = static_cast<double>(ctx.extent_bits) * per_bit_rate();
    if (p_.technology != "dram") return per_window;
    double windows = 0.0, last = -1.0;
    for (const double c : ctx.checkpoints_s) {
      const double w = ctx.last_write_at_or_before(c);
      if (w != last) windows += 1.0;
      last = w;
    }
    return per_window * windows;
  }

  double expected_active(const FaultModelContext& ctx, double t_s) const override {
    const double bits = static_cast<double>(ctx.extent_bits);
    const double rate = per_bit_rate();
    if (p_.technology == "dram") return bits * rate;
    // Still wrong after every rewrite up to t: each switch failed 1 + rewrites times.
    double rewrites = 0.0;
    for (const double w : ctx.write_times_s) rewrites += (w > 0.0 && w <= t_s) ? 1.0 : 0.0;
    double expected = 0.0;
    for (const int from : {0, 1}) {
      const double retry = stt_rate(from == 0 ? p_.current_ratio_0to1 : p_.current_ratio_1to0);
      expected += bits * stt_rate_from(from) * std::pow(retry, rewrites);
    }
    return expected;
  }

 private:
  WriteParams p_;
};

}  // namespace

FaultModelInfo write_error_info() {
  return {
      "write_error",
      "errors made when weights are written (first load and rewrites): STT-MRAM switching "
      "failures or DRAM write-recovery failures",
      {choice_param("technology", "memory technology", {"stt_mram", "dram"}, "stt_mram"),
       number_param("thermal_stability", "", "STT thermal stability Delta (60, range 40-80 [R])",
                    1.0, 200.0, 60.0, true),
       number_param("pulse_width_ns", "ns", "STT write pulse (10-20 ns [E])", 0.01, 1e6, 20.0,
                    true),
       number_param("tau_d_ns", "ns", "STT precessional time unit tau_D (2 ns [R/E])", 0.01, 1e3,
                    2.0, false),
       number_param("tau_0_ns", "ns", "STT attempt time tau_0 (1 ns [R])", 1e-3, 1e3, 1.0, false),
       number_param("current_ratio_0to1", "",
                    "STT write current over critical current I/Ic0 when switching 0 -> 1 "
                    "(1.5-2 [E])",
                    0.0, 100.0, 2.0, true),
       number_param("current_ratio_1to0", "",
                    "the same when switching 1 -> 0 (direction-dependent: P->AP needs more "
                    "current than AP->P [R]; 2.0 [E])",
                    0.0, 100.0, 2.0, true),
       choice_param("erased_value",
                    "STT cell state before the first load (random: each cell 0 or 1, 1/2 each)",
                    {"0", "1", "random"}, "0"),
       number_param("t_wr_ns", "ns", "DRAM write-recovery time given (JEDEC tWR 15 ns [R])", 0.01,
                    1e4, 15.0, true),
       number_param("t_wr_screen_ns", "ns",
                    "DRAM write-recovery time of the manufacturer's test (tWR 15 ns less a 20 % "
                    "guardband [E]): cells needing longer were repaired",
                    0.01, 1e4, 12.0, true),
       number_param("t_req_mean_ns", "ns", "DRAM mean write time a cell needs [E]", 0.01, 1e4, 8.0,
                    true),
       number_param("t_req_sigma_ns", "ns", "DRAM spread of the needed write time [E]", 1e-3, 1e4,
                    1.2, true),
       choice_param("cell_layout", "DRAM true/anti cells (which value a failed write leaves)",
                    CellPolarity::layouts(), "row_blocks")},
      [](const ParamValues& v) {
        WriteParams p;
        p.technology = v.text("technology");
        p.thermal_stability = v.number("thermal_stability");
        p.pulse_width_ns = v.number("pulse_width_ns");
        p.tau_d_ns = v.number("tau_d_ns");
        p.tau_0_ns = v.number("tau_0_ns");
        p.current_ratio_0to1 = v.number("current_ratio_0to1");
        p.current_ratio_1to0 = v.number("current_ratio_1to0");
        p.erased_value = v.text("erased_value");
        p.t_wr_ns = v.number("t_wr_ns");
        p.t_req_mean_ns = v.number("t_req_mean_ns");
        p.t_wr_screen_ns = v.number("t_wr_screen_ns");
        p.t_req_sigma_ns = v.number("t_req_sigma_ns");
        p.polarity = {v.text("cell_layout"), 512};
        return std::make_unique<WriteError>(std::move(p));
      },
      true};
}

}  // namespace weightfault::memory

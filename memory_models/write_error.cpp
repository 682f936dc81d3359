// write_error: cells written wrongly.
//
// stt_mram: a magnetic tunnel junction switches only when the written bit
// differs from its state; a switching write fails with the write error rate
// of the precessional regime (Butler et al., TMAG 2012, closed form as used in
// docs/physics.md),
//   WER(i, t_p) = 1 - exp{ -(pi^2 Delta / 4) (i - 1) / (i e^{2 (i - 1) t_p / tau_D} - 1) },
// with i = I / Ic0 the overdrive for that switching direction, or for i <= 1
// the thermally activated regime WER = exp(-t_p / (tau_0 e^{Delta (1 - i)})).
// Weights are first written over an erased array (all cells at
// erased_value), so a cell fails iff its bit differs from the erased value
// and the switch fails: a content-independent "reads the erased value" fault.
// A rewrite switches it again, failing again with the same probability; a
// cell already right is not switched and cannot fail.
//
// dram: every write of the charged state restores charge within the
// write-recovery time t_WR; a cell needs t_req ~ N(mean, sigma) (design-
// induced and process variation; DIVA/FLY-DRAM form [R/E]) and fails with
// P = Phi((mean - t_WR) / sigma), reading the discharged value until its next
// write (each write is a fresh draw).
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
  double current_ratio = 2.0;  // overdrive for switching away from the erased value
  int erased_value = 0;
  double t_wr_ns = 15.0, t_req_mean_ns = 8.0, t_req_sigma_ns = 1.2;
  CellPolarity polarity;
};

double stt_write_error_rate(double delta, double i, double pulse_ns, double tau_d_ns,
                            double tau_0_ns) {
  if (i <= 1.0) return std::exp(-pulse_ns / (tau_0_ns * std::exp(delta * (1.0 - i))));
  const double pi2 = std::numbers::pi * std::numbers::pi;
  const double x =
      (pi2 * delta / 4.0) * (i - 1.0) / (i * std::exp(2.0 * (i - 1.0) * pulse_ns / tau_d_ns) - 1.0);
  return -std::expm1(-x);
}

class WriteError final : public FaultModel {
 public:
  explicit WriteError(WriteParams p) : p_(std::move(p)) {}

  double per_bit_rate() const {
    if (p_.technology == "dram")
      return normal_cdf((p_.t_req_mean_ns - p_.t_wr_ns) / p_.t_req_sigma_ns);
    return stt_write_error_rate(p_.thermal_stability, p_.current_ratio, p_.pulse_width_ns,
                                p_.tau_d_ns, p_.tau_0_ns);
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
    // STT-MRAM: failures of the first load; each rewrite retries the switch.
    const FaultKind kind = p_.erased_value == 1 ? FaultKind::stuck_at_1 : FaultKind::stuck_at_0;
    boost::random::bernoulli_distribution<double> fails_again(rate);
    for_each_bernoulli_position(ctx.extent_bits, rate, rng, [&](std::uint64_t bit) {
      double clear_s = ctx.next_write_after(0.0);
      while (clear_s != kNever && fails_again(rng)) clear_s = ctx.next_write_after(clear_s);
      sink.add(BitFault{bit, kind, ctx.model_index, 0.0, clear_s});
    });
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
    // Still wrong after every rewrite up to t: rate^(1 + rewrites).
    double rewrites = 0.0;
    for (const double w : ctx.write_times_s) rewrites += (w > 0.0 && w <= t_s) ? 1.0 : 0.0;
    return bits * rate * std::pow(rate, rewrites);
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
       number_param("current_ratio", "",
                    "STT write current over critical current I/Ic0 for switching away from the "
                    "erased value (1.5-2 [E])",
                    0.0, 100.0, 2.0, true),
       choice_param("erased_value", "STT array state before the first load", {"0", "1"}, "0"),
       number_param("t_wr_ns", "ns", "DRAM write-recovery time given (JEDEC tWR 15 ns [R])", 0.01,
                    1e4, 15.0, true),
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
        p.current_ratio = v.number("current_ratio");
        p.erased_value = v.text("erased_value") == "1" ? 1 : 0;
        p.t_wr_ns = v.number("t_wr_ns");
        p.t_req_mean_ns = v.number("t_req_mean_ns");
        p.t_req_sigma_ns = v.number("t_req_sigma_ns");
        p.polarity = {v.text("cell_layout"), 512};
        return std::make_unique<WriteError>(std::move(p));
      },
      true};
}

}  // namespace weightfault::memory

// seu: single-event upsets from particle strikes (neutrons, alphas), single
// cells only for now (multi-cell clusters are the next step, docs/physics.md).
//
// Arrivals form a Poisson process in simulated time with rate
//   lambda [1/s] = fit_per_mbit * flux_factor * (bits / 2^20) / 3.6e12
// (1 FIT = one failure per 10^9 device-hours; FIT/Mbit per JESD89A reporting;
// flux_factor scales the New York City sea-level reference flux, 13 n/cm^2/h).
// Each event flips one bit, uniform over the stored range, at a uniform time in
// [t0, t1): the count is Poisson(lambda (t1 - t0)). A flip stays until its word
// is rewritten (sim/ sets the clear time from the rewrite interval).
#include <boost/random/poisson_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>

#include "memory_models/fault_model.h"

namespace weightfault::memory {
namespace {

constexpr double kBitsPerMbit = 1048576.0;          // 2^20
constexpr double kSecondsPerBillionHours = 3.6e12;  // 10^9 h * 3600 s/h

class Seu final : public FaultModel {
 public:
  Seu(double fit_per_mbit, double flux_factor)
      : fit_per_mbit_(fit_per_mbit), flux_factor_(flux_factor) {}

  void generate(const FaultModelContext& ctx, Rng& rng, FaultMap& sink) const override {
    const double mean = expected_faults(ctx);
    if (!(mean > 0.0) || ctx.extent_bits == 0) return;
    boost::random::poisson_distribution<std::uint64_t, double> count(mean);
    boost::random::uniform_int_distribution<std::uint64_t> where(0, ctx.extent_bits - 1);
    boost::random::uniform_real_distribution<double> when(ctx.t0_s, ctx.t1_s);
    const std::uint64_t events = count(rng);
    for (std::uint64_t e = 0; e < events; ++e) {
      const std::uint64_t bit = where(rng);
      const double onset_s = when(rng);
      sink.add(BitFault{bit, FaultKind::flip, ctx.model_index, onset_s, kNever});
    }
  }

  double expected_faults(const FaultModelContext& ctx) const override {
    const double rate_per_s = fit_per_mbit_ * flux_factor_ *
                              (static_cast<double>(ctx.extent_bits) / kBitsPerMbit) /
                              kSecondsPerBillionHours;
    return rate_per_s * (ctx.t1_s - ctx.t0_s);
  }

 private:
  double fit_per_mbit_;
  double flux_factor_;
};

}  // namespace

FaultModelInfo seu_info() {
  return {
      "seu",
      "single-event upsets: Poisson arrivals over simulated time at FIT/Mbit x flux factor, one "
      "bit each",
      {number_param(
           "fit_per_mbit", "FIT/Mbit",
           "soft-error rate at the reference flux (failures per 1e9 h per 2^20 bits); e.g. 66 for "
           "28 nm SRAM, 20 for 16 nm FinFET (Xilinx UG116, docs/physics.md)",
           0.0, 1e12, std::nullopt, true),
       number_param("flux_factor", "",
                    "particle flux relative to New York City sea level (JESD89A)", 0.0, 1e6, 1.0,
                    true)},
      [](const ParamValues& v) {
        return std::make_unique<Seu>(v.number("fit_per_mbit"), v.number("flux_factor"));
      },
      true};
}

}  // namespace weightfault::memory

// uniform_ber: every stored bit flips independently with probability `ber`.
// The plain bit-error-rate model of the literature (e.g. Reagen et al.,
// Ares, DAC 2018), present from time 0 and never cleared.
#include "memory_models/bernoulli_positions.h"
#include "memory_models/fault_model.h"

namespace weightfault::memory {
namespace {

class UniformBer final : public FaultModel {
 public:
  explicit UniformBer(double ber) : ber_(ber) {}

  void generate(const FaultModelContext& ctx, Rng& rng, FaultMap& sink) const override {
    for_each_bernoulli_position(ctx.extent_bits, ber_, rng, [&](std::uint64_t bit) {
      sink.add(BitFault{bit, FaultKind::flip, ctx.model_index, ctx.t0_s, kNever});
    });
  }

  double expected_faults(const FaultModelContext& ctx) const override {
    return static_cast<double>(ctx.extent_bits) * ber_;
  }

 private:
  double ber_;
};

}  // namespace

FaultModelInfo uniform_ber_info() {
  return {"uniform_ber",
          "independent bit flips, probability `ber` per stored bit",
          {number_param("ber", "1/bit", "probability that a stored bit is flipped", 0.0, 1.0,
                        std::nullopt, true)},
          [](const ParamValues& v) { return std::make_unique<UniformBer>(v.number("ber")); },
          false};
}

}  // namespace weightfault::memory

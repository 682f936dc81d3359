// stuck_at: a fraction of cells is stuck at 0, at 1, or at either (each stuck
// cell 0 or 1 with probability 1/2) -- permanent faults present from time 0.
// A stuck cell reads its stuck value whatever was stored, so it changes only
// the cells that held the other value.
#include <boost/random/bernoulli_distribution.hpp>

#include "memory_models/bernoulli_positions.h"
#include "memory_models/fault_model.h"

namespace weightfault::memory {
namespace {

class StuckAt final : public FaultModel {
 public:
  StuckAt(double fraction, std::string value) : fraction_(fraction), value_(std::move(value)) {}

  void generate(const FaultModelContext& ctx, Rng& rng, FaultMap& sink) const override {
    boost::random::bernoulli_distribution<double> coin(0.5);
    // Positions first, then one coin per position: both from the same stream, in order.
    std::vector<std::uint64_t> positions;
    for_each_bernoulli_position(ctx.extent_bits, fraction_, rng,
                                [&](std::uint64_t bit) { positions.push_back(bit); });
    for (const auto bit : positions) {
      FaultKind kind = value_ == "0" ? FaultKind::stuck_at_0 : FaultKind::stuck_at_1;
      if (value_ == "either") kind = coin(rng) ? FaultKind::stuck_at_1 : FaultKind::stuck_at_0;
      sink.add(BitFault{bit, kind, ctx.model_index, ctx.t0_s, kNever});
    }
  }

  double expected_faults(const FaultModelContext& ctx) const override {
    return static_cast<double>(ctx.extent_bits) * fraction_;
  }

 private:
  double fraction_;
  std::string value_;
};

}  // namespace

FaultModelInfo stuck_at_info() {
  return {"stuck_at",
          "a fraction of cells stuck at 0, 1 or either",
          {number_param("fraction", "1/bit", "probability that a cell is stuck", 0.0, 1.0,
                        std::nullopt, true),
           choice_param("value", "the value stuck cells hold; 'either' draws 0 or 1 per cell",
                        {"0", "1", "either"}, "either")},
          [](const ParamValues& v) {
            return std::make_unique<StuckAt>(v.number("fraction"), v.text("value"));
          },
          false};
}

}  // namespace weightfault::memory

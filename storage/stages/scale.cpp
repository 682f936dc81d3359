// scale: store w * c, divide by c on read (Fuengfusin & Tamukoh 2024, arXiv 2411.18993).
// With c = auto, the factor follows the documented rule per dtype (docs/protections.md):
// floating point -- the smallest power of two that moves every nonzero |w * c| to >= 2
// without taking the largest weight within a factor 2 of the format's largest finite
// value; fixed point -- the largest c that does not saturate; scaled integers -- 1 (they
// already fill their range).
#include <algorithm>
#include <cmath>
#include <limits>

#include "storage/protection.h"
#include "storage/stored_image.h"

namespace weightfault::storage {
namespace {

float auto_factor(const DType& dtype, std::span<const float> values) {
  float max_abs = 0.0f;
  float min_nonzero = std::numeric_limits<float>::infinity();
  for (float v : values) {
    const float a = std::abs(v);
    max_abs = std::max(max_abs, a);
    if (a > 0.0f) min_nonzero = std::min(min_nonzero, a);
  }
  if (max_abs == 0.0f) return 1.0f;
  switch (dtype.number_class()) {
    case NumberClass::floating: {
      const int wanted = static_cast<int>(std::ceil(std::log2(2.0 / min_nonzero)));
      const int allowed =
          static_cast<int>(std::floor(std::log2(dtype.max_value() / 2.0 / max_abs)));
      return static_cast<float>(std::ldexp(1.0, std::max(0, std::min(wanted, allowed))));
    }
    case NumberClass::fixed_point:
      return static_cast<float>(dtype.max_value() / max_abs);
    case NumberClass::scaled_integer:
      return 1.0f;
  }
  return 1.0f;
}

class Scale final : public TensorStage {
 public:
  explicit Scale(float factor) : factor_(factor) {}
  float before_encode(float w) const override { return w * factor_; }
  float after_decode(float v) const override { return v / factor_; }
  float factor() const { return factor_; }
  void set_factor(float factor) { factor_ = factor; }

 private:
  float factor_;
};

}  // namespace

ProtectionStageInfo scale_stage_info() {
  ProtectionStageInfo info;
  info.name = "scale";
  info.description = "store w*c, divide by c on read (Fuengfusin & Tamukoh 2024, arXiv 2411.18993)";
  info.params = {
      choice_param("c", "'auto' for the documented rule, or a number given as c_value",
                   {"auto", "value"}, "auto"),
      number_param("c_value", "", "the scale factor when c = 'value'", 1e-30, 1e30, 1.0, false),
      choice_param("per", "one c per layer, or one for the whole model (the smallest)",
                   {"layer", "model"}, "layer")};
  info.bind = [](const TensorPlan& plan, const ParamValues& params) {
    const float c = params.text("c") == "auto" ? auto_factor(plan.tensor.dtype, plan.values)
                                               : static_cast<float>(params.number("c_value"));
    return std::make_unique<Scale>(c);
  };
  info.finish = [](std::span<TensorStage* const> bound, const ParamValues& params,
                   const ModelFacts&, const std::string&) {
    if (params.text("per") != "model") return;
    float smallest = std::numeric_limits<float>::infinity();
    for (auto* s : bound) smallest = std::min(smallest, static_cast<Scale*>(s)->factor());
    for (auto* s : bound) static_cast<Scale*>(s)->set_factor(smallest);
  };
  return info;
}

}  // namespace weightfault::storage

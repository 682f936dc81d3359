// clamp: decoded weights clamped to each tensor's fault-free decoded range, kept outside
// fault-prone memory; a NaN reads as 0 clamped to that range.
#include <algorithm>
#include <cmath>

#include "storage/protection.h"
#include "storage/stored_image.h"

namespace weightfault::storage {
namespace {

class Clamp final : public TensorStage {
 public:
  void calibrate(std::span<const float> golden) override {
    if (golden.empty()) return;
    const auto [lo, hi] = std::minmax_element(golden.begin(), golden.end());
    lo_ = *lo;
    hi_ = *hi;
  }
  float after_decode(float v) const override {
    return std::isnan(v) ? std::clamp(0.0f, lo_, hi_) : std::clamp(v, lo_, hi_);
  }

 private:
  float lo_ = 0.0f, hi_ = 0.0f;
};

}  // namespace

ProtectionStageInfo clamp_stage_info() {
  ProtectionStageInfo info;
  info.name = "clamp";
  info.description = "decoded weights clamped to each tensor's fault-free [min, max]";
  info.bind = [](const TensorPlan&, const ParamValues&) { return std::make_unique<Clamp>(); };
  return info;
}

}  // namespace weightfault::storage

// hard_swish: x * min(max(x + 3, 0), 6) / 6 (MobileNetV3; ONNX HardSwish).
#include <algorithm>

#include "nn/ops/activation.h"

namespace weightfault::nn {
namespace {

class HardSwishOp final : public ActivationOp {
 public:
  std::string_view name() const override { return "hard_swish"; }
  float apply(const Layer&, float x) const override {
    return x * std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f;
  }
  Eltwise eltwise(const Layer&) const override {
    return {dnnl::algorithm::eltwise_hardswish, 0.0f, 0.0f};
  }
};

}  // namespace

const Op& hard_swish_op() {
  static const HardSwishOp op;
  return op;
}

}  // namespace weightfault::nn

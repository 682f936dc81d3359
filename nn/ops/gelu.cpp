// gelu: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), the exact (erf) form PyTorch's
// nn.GELU computes; ONNX exports it as Div, Erf, Add, Mul, Mul, which the import
// recognizes as one layer.
#include <cmath>

#include "nn/ops/activation.h"

namespace weightfault::nn {
namespace {

class GeluOp final : public ActivationOp {
 public:
  std::string_view name() const override { return "gelu"; }
  float apply(const Layer&, float x) const override {
    return static_cast<float>(0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))));
  }
  Eltwise eltwise(const Layer&) const override {
    return {dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f};
  }
};

}  // namespace

const Op& gelu_op() {
  static const GeluOp op;
  return op;
}

}  // namespace weightfault::nn

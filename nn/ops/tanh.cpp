// tanh: the hyperbolic tangent.
#include <cmath>

#include "nn/ops/activation.h"

namespace weightfault::nn {
namespace {

class TanhOp final : public ActivationOp {
 public:
  std::string_view name() const override { return "tanh"; }
  float apply(const Layer&, float x) const override { return std::tanh(x); }
  Eltwise eltwise(const Layer&) const override {
    return {dnnl::algorithm::eltwise_tanh, 0.0f, 0.0f};
  }
};

}  // namespace

const Op& tanh_op() {
  static const TanhOp op;
  return op;
}

}  // namespace weightfault::nn

// sqrt: the square root of each value (NaN below 0, as IEEE).
#include <cmath>

#include "nn/ops/activation.h"

namespace weightfault::nn {
namespace {

class SqrtOp final : public ActivationOp {
 public:
  std::string_view name() const override { return "sqrt"; }
  float apply(const Layer&, float x) const override { return std::sqrt(x); }
  Eltwise eltwise(const Layer&) const override {
    return {dnnl::algorithm::eltwise_sqrt, 0.0f, 0.0f};
  }
};

}  // namespace

const Op& sqrt_op() {
  static const SqrtOp op;
  return op;
}

}  // namespace weightfault::nn

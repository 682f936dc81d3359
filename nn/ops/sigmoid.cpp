// sigmoid: 1 / (1 + exp(-x)) (oneDNN's logistic).
#include <cmath>

#include "nn/ops/activation.h"

namespace weightfault::nn {
namespace {

class SigmoidOp final : public ActivationOp {
 public:
  std::string_view name() const override { return "sigmoid"; }
  float apply(const Layer&, float x) const override {
    return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x))));
  }
  Eltwise eltwise(const Layer&) const override {
    return {dnnl::algorithm::eltwise_logistic, 0.0f, 0.0f};
  }
};

}  // namespace

const Op& sigmoid_op() {
  static const SigmoidOp op;
  return op;
}

}  // namespace weightfault::nn

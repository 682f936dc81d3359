// affine: y = scale * x + shift with scalar attributes "scale" and "shift" (ONNX Add,
// Sub, Mul or Div with a scalar constant, e.g. attention's 1/sqrt(d) scaling;
// division by c is multiplication by 1/c, within one rounding).
#include "nn/ops/activation.h"

namespace weightfault::nn {
namespace {

class AffineOp final : public ActivationOp {
 public:
  std::string_view name() const override { return "affine"; }
  float apply(const Layer& l, float x) const override {
    return static_cast<float>(number_of(l, "scale", 1.0)) * x +
           static_cast<float>(number_of(l, "shift", 0.0));
  }
  Eltwise eltwise(const Layer& l) const override {
    return {dnnl::algorithm::eltwise_linear, static_cast<float>(number_of(l, "scale", 1.0)),
            static_cast<float>(number_of(l, "shift", 0.0))};
  }
  void write_attributes(const h5::Object& group, const Layer& l) const override {
    write_numbers(group, l, {"scale", "shift"});
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    read_numbers(group, l, {"scale", "shift"});
  }
};

}  // namespace

const Op& affine_op() {
  static const AffineOp op;
  return op;
}

}  // namespace weightfault::nn

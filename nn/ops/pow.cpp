// pow: x raised to a constant (attribute "exponent"; ONNX Pow with a scalar constant
// exponent, as in a layer norm exported in pieces).
#include <cmath>

#include "nn/ops/activation.h"

namespace weightfault::nn {
namespace {

class PowOp final : public ActivationOp {
 public:
  std::string_view name() const override { return "pow"; }
  float apply(const Layer& l, float x) const override {
    return std::pow(x, static_cast<float>(number_of(l, "exponent", 1.0)));
  }
  Eltwise eltwise(const Layer& l) const override {
    return {dnnl::algorithm::eltwise_pow, 1.0f, static_cast<float>(number_of(l, "exponent", 1.0))};
  }
  void write_attributes(const h5::Object& group, const Layer& l) const override {
    write_numbers(group, l, {"exponent"});
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    read_numbers(group, l, {"exponent"});
  }
};

}  // namespace

const Op& pow_op() {
  static const PowOp op;
  return op;
}

}  // namespace weightfault::nn

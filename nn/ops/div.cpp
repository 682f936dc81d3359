// div: element-wise quotient of two inputs with broadcasting (the first input must have the
// output's shape).
#include "nn/ops/binary.h"

namespace weightfault::nn {
namespace {

class DivOp final : public BinaryOp {
 public:
  std::string_view name() const override { return "div"; }
  dnnl::algorithm algorithm() const override { return dnnl::algorithm::binary_div; }
  float apply(float a, float b) const override { return a / b; }
  bool commutative() const override { return false; }
};

}  // namespace

const Op& div_op() {
  static const DivOp op;
  return op;
}

}  // namespace weightfault::nn

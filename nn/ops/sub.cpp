// sub: element-wise difference of two inputs with broadcasting.
#include "nn/ops/binary.h"

namespace weightfault::nn {
namespace {

class SubOp final : public BinaryOp {
 public:
  std::string_view name() const override { return "sub"; }
  dnnl::algorithm algorithm() const override { return dnnl::algorithm::binary_sub; }
  float apply(float a, float b) const override { return a - b; }
  bool commutative() const override { return false; }
  bool anti_commutative() const override { return true; }
};

}  // namespace

const Op& sub_op() {
  static const SubOp op;
  return op;
}

}  // namespace weightfault::nn

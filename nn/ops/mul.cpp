// mul: element-wise product of two inputs with broadcasting (gates, learned per-channel scales).
#include "nn/ops/binary.h"

namespace weightfault::nn {
namespace {

class MulOp final : public BinaryOp {
 public:
  std::string_view name() const override { return "mul"; }
  dnnl::algorithm algorithm() const override { return dnnl::algorithm::binary_mul; }
  float apply(float a, float b) const override { return a * b; }
};

}  // namespace

const Op& mul_op() {
  static const MulOp op;
  return op;
}

}  // namespace weightfault::nn

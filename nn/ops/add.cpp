// add: element-wise sum of two inputs with broadcasting (residual connections,
// position embeddings).
#include "nn/ops/binary.h"

namespace weightfault::nn {
namespace {

class AddOp final : public BinaryOp {
 public:
  std::string_view name() const override { return "add"; }
  dnnl::algorithm algorithm() const override { return dnnl::algorithm::binary_add; }
  float apply(float a, float b) const override { return a + b; }

  void build_training(TrainingBuilder& b, std::size_t i) const override {
    const dnnl::memory a = b.input(i, 0), other = b.input(i, 1), out = b.output(i);
    if (a.get_desc().dims() != other.get_desc().dims())
      fail_layer(b.network().layer(i), "training an add of two shapes is not supported");
    const dnnl::binary::desc fd(dnnl::algorithm::binary_add, a.get_desc(), other.get_desc(),
                                out.get_desc());
    b.forward(dnnl::binary(dnnl::binary::primitive_desc(fd, b.engine())),
              {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, other}, {DNNL_ARG_DST, out}});
  }
  GradientFlow gradient_flow() const override { return GradientFlow::to_every_input; }
};

}  // namespace

const Op& add_op() {
  static const AddOp op;
  return op;
}

}  // namespace weightfault::nn

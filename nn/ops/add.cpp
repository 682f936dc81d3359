// add: element-wise sum of two inputs of the same shape (residual connections).
#include <fmt/format.h>

#include "nn/dnnl_util.h"
#include "nn/network.h"
#include "nn/op.h"

namespace weightfault::nn {
namespace {

class AddOp final : public Op {
 public:
  std::string_view name() const override { return "add"; }
  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 2);
    if (*in[0] != *in[1]) {
      fail_layer(l, fmt::format("inputs have different shapes {} and {}", shape_to_string(*in[0]),
                                shape_to_string(*in[1])));
    }
    return *in[0];
  }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const dnnl::memory a = b.input(i, 0), other = b.input(i, 1);
    const dnnl::binary::desc desc(dnnl::algorithm::binary_add, a.get_desc(), other.get_desc(),
                                  a.get_desc());
    const dnnl::binary::primitive_desc pd(desc, b.engine());
    const dnnl::memory out(pd.dst_desc(), b.engine());
    b.add_step(dnnl::binary(pd),
               {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, other}, {DNNL_ARG_DST, out}});
    b.set_output(i, out);
  }
  void build_training(TrainingBuilder& b, std::size_t i) const override {
    const dnnl::memory a = b.input(i, 0), other = b.input(i, 1), out = b.output(i);
    const dnnl::binary::desc fd(dnnl::algorithm::binary_add, a.get_desc(), other.get_desc(),
                                out.get_desc());
    b.forward(dnnl::binary(dnnl::binary::primitive_desc(fd, b.engine())),
              {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, other}, {DNNL_ARG_DST, out}});
  }
  GradientFlow gradient_flow() const override { return GradientFlow::to_every_input; }
  std::vector<float> reference(const Layer&, const ReferenceInputs& in) const override {
    std::vector<float> y = *in.values.at(0);
    const auto& other = *in.values.at(1);
    for (std::size_t k = 0; k < y.size(); ++k) y[k] += other[k];
    return y;
  }
};

}  // namespace

const Op& add_op() {
  static const AddOp op;
  return op;
}

}  // namespace weightfault::nn

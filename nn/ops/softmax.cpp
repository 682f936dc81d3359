// softmax: over the features of a flat input. As the last layer its input is the
// logits: metrics and training's cross-entropy read those.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "nn/dnnl_util.h"
#include "nn/network.h"
#include "nn/op.h"

namespace weightfault::nn {
namespace {

class SoftmaxOp final : public Op {
 public:
  std::string_view name() const override { return "softmax"; }
  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    if (in[0]->size() != 1) fail_layer(l, "needs a flat input");
    return *in[0];
  }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const dnnl::memory src = b.input(i, 0);
    const dnnl::softmax_forward::desc desc(dnnl::prop_kind::forward_inference, src.get_desc(), 1);
    const dnnl::softmax_forward::primitive_desc pd(desc, b.engine());
    const dnnl::memory out(pd.dst_desc(), b.engine());
    b.add_step(dnnl::softmax_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out}});
    b.set_output(i, out);
  }
  void build_training(TrainingBuilder& b, std::size_t i) const override {
    if (i != b.network().output_layer())
      fail_layer(b.network().layer(i),
                 "softmax is supported only as the last layer (the loss uses its logits)");
  }
  GradientFlow gradient_flow() const override { return GradientFlow::none; }
  std::vector<float> reference(const Layer&, const ReferenceInputs& in) const override {
    const auto& x = *in.values.at(0);
    const auto f = static_cast<std::size_t>(in.shapes.at(0).at(0));
    std::vector<float> y(x.size());
    for (std::size_t n = 0; n < in.batch; ++n) {
      const float* row = x.data() + n * f;
      const double max = *std::max_element(row, row + f);
      double sum = 0;
      for (std::size_t k = 0; k < f; ++k) sum += std::exp(row[k] - max);
      for (std::size_t k = 0; k < f; ++k)
        y[n * f + k] = static_cast<float>(std::exp(row[k] - max) / sum);
    }
    return y;
  }
};

}  // namespace

const Op& softmax_op() {
  static const SoftmaxOp op;
  return op;
}

}  // namespace weightfault::nn

// softmax: over one per-sample axis (attribute "axis", default the last; a flat input's
// features). As the last layer its input is the logits: metrics and training's
// cross-entropy read those.
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
  static std::size_t axis_of(const Layer& l, std::size_t rank) {
    const auto it = l.attributes.find("axis");
    return it == l.attributes.end() ? rank - 1 : static_cast<std::size_t>(it->second);
  }
  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    if (axis_of(l, in[0]->size()) >= in[0]->size())
      fail_layer(l, fmt::format("axis {} outside the input's {} axes", axis_of(l, in[0]->size()),
                                in[0]->size()));
    return *in[0];
  }
  void write_attributes(const h5::Object& group, const Layer& l) const override {
    if (l.attributes.count("axis"))
      h5::write_int_attribute(group, "axis", {static_cast<std::int64_t>(l.attributes.at("axis"))});
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    if (h5::has_attribute(group, "axis"))
      l.attributes["axis"] = static_cast<double>(h5::read_int_attribute(group, "axis").at(0));
  }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const dnnl::memory src = b.input(i, 0);
    const auto& shape = b.network().output_shape(i);
    const int axis = static_cast<int>(axis_of(b.network().layer(i), shape.size())) + 1;
    const dnnl::softmax_forward::desc desc(dnnl::prop_kind::forward_inference, src.get_desc(),
                                           axis);
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
  std::vector<float> reference(const Layer& l, const ReferenceInputs& in) const override {
    const auto& x = *in.values.at(0);
    const Shape& s = in.shapes.at(0);
    const std::size_t axis = axis_of(l, s.size());
    std::size_t outer = in.batch, inner = 1;
    for (std::size_t d = 0; d < axis; ++d) outer *= static_cast<std::size_t>(s[d]);
    for (std::size_t d = axis + 1; d < s.size(); ++d) inner *= static_cast<std::size_t>(s[d]);
    const auto f = static_cast<std::size_t>(s[axis]);
    std::vector<float> y(x.size());
    for (std::size_t o = 0; o < outer; ++o)
      for (std::size_t j = 0; j < inner; ++j) {
        const auto at = [&](std::size_t k) { return (o * f + k) * inner + j; };
        double max = x[at(0)];
        for (std::size_t k = 1; k < f; ++k) max = std::max(max, static_cast<double>(x[at(k)]));
        double sum = 0;
        for (std::size_t k = 0; k < f; ++k) sum += std::exp(x[at(k)] - max);
        for (std::size_t k = 0; k < f; ++k)
          y[at(k)] = static_cast<float>(std::exp(x[at(k)] - max) / sum);
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

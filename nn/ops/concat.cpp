// concat: inputs joined along one per-sample axis (attribute "axis"); every other
// axis must agree. oneDNN's concat primitive.
#include "nn/ops/layout.h"

namespace weightfault::nn {
namespace {

class ConcatOp final : public Op {
 public:
  std::string_view name() const override { return "concat"; }
  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    if (in.empty()) fail_layer(l, "needs at least one input");
    const auto axis = int_attribute(l, "axis", 0);
    Shape out = *in[0];
    if (axis < 0 || axis >= static_cast<std::int64_t>(out.size()))
      fail_layer(l, fmt::format("axis {} outside the input's {} axes", axis, out.size()));
    const auto a = static_cast<std::size_t>(axis);
    for (std::size_t k = 1; k < in.size(); ++k) {
      Shape s = *in[k];
      if (s.size() != out.size())
        fail_layer(l, fmt::format("inputs {} and {} differ in rank", shape_to_string(out),
                                  shape_to_string(s)));
      out[a] += s[a];
      s[a] = out[a];
      if (s != out)
        fail_layer(l, fmt::format("input {} has shape {}; only axis {} may differ", k,
                                  shape_to_string(*in[k]), axis));
    }
    return out;
  }
  void write_attributes(const h5::Object& group, const Layer& l) const override {
    write_int_attributes(group, l, {"axis"});
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    read_int_attributes(group, l, {"axis"});
  }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const auto& inputs = b.network().inputs_of(i);
    std::vector<dnnl::memory::desc> descs;
    Args args;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      const dnnl::memory src = plain(b, b.input(i, k));
      descs.push_back(src.get_desc());
      args[DNNL_ARG_MULTIPLE_SRC + static_cast<int>(k)] = src;
    }
    const int axis = static_cast<int>(int_attribute(b.network().layer(i), "axis", 0)) + 1;
    const dnnl::memory out(plain_desc(batched(b.batch(), b.network().output_shape(i))), b.engine());
    const dnnl::concat::primitive_desc pd(out.get_desc(), axis, descs, b.engine());
    args[DNNL_ARG_DST] = out;
    b.add_step(dnnl::concat(pd), std::move(args));
    b.set_output(i, out);
  }
  std::vector<float> reference(const Layer& l, const ReferenceInputs& in) const override {
    const auto axis = static_cast<std::size_t>(int_attribute(l, "axis", 0));
    std::size_t outer = in.batch;
    for (std::size_t d = 0; d < axis; ++d) outer *= static_cast<std::size_t>(in.output_shape[d]);
    std::vector<float> y;
    for (std::size_t o = 0; o < outer; ++o)
      for (std::size_t k = 0; k < in.values.size(); ++k) {
        std::size_t chunk = 1;  // values of input k per outer index
        for (std::size_t d = axis; d < in.shapes[k].size(); ++d)
          chunk *= static_cast<std::size_t>(in.shapes[k][d]);
        const auto& x = *in.values[k];
        y.insert(y.end(), x.begin() + static_cast<std::ptrdiff_t>(o * chunk),
                 x.begin() + static_cast<std::ptrdiff_t>((o + 1) * chunk));
      }
    return y;
  }
};

}  // namespace

const Op& concat_op() {
  static const ConcatOp op;
  return op;
}

}  // namespace weightfault::nn

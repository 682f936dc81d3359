// reduce_mean: the mean over some per-sample axes (list "axes"), kept as axes of 1
// (attribute "keepdims" = 1, the default) or removed. oneDNN reduction.
#include <algorithm>

#include "nn/ops/layout.h"

namespace weightfault::nn {
namespace {

class ReduceMeanOp final : public Op {
 public:
  std::string_view name() const override { return "reduce_mean"; }
  static Shape kept_shape(const Layer& l, const Shape& in) {
    Shape out = in;
    for (const auto a : list_of(l, "axes")) {
      if (a < 0 || a >= static_cast<std::int64_t>(in.size()))
        fail_layer(l, fmt::format("axis {} outside the input's {} axes", a, in.size()));
      out[static_cast<std::size_t>(a)] = 1;
    }
    return out;
  }
  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    Shape kept = kept_shape(l, *in[0]);
    if (int_attribute(l, "keepdims", 1) != 0) return kept;
    const auto& axes = list_of(l, "axes");
    Shape out;
    for (std::size_t d = 0; d < kept.size(); ++d) {
      if (std::find(axes.begin(), axes.end(), static_cast<std::int64_t>(d)) == axes.end())
        out.push_back(kept[d]);
    }
    if (out.empty()) out.push_back(1);  // a per-sample scalar
    return out;
  }
  void write_attributes(const h5::Object& group, const Layer& l) const override {
    write_lists(group, l, {"axes"});
    write_int_attributes(group, l, {"keepdims"});
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    read_lists(group, l, {"axes"});
    read_int_attributes(group, l, {"keepdims"});
  }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const Layer& l = b.network().layer(i);
    const dnnl::memory src = plain(b, b.input(i, 0));
    const auto& in_shape = b.network().output_shape(b.network().inputs_of(i)[0]);
    const dnnl::memory out(plain_desc(batched(b.batch(), kept_shape(l, in_shape))), b.engine());
    const dnnl::reduction::desc desc(dnnl::algorithm::reduction_mean, src.get_desc(),
                                     out.get_desc(), 0.0f, 0.0f);
    b.add_step(dnnl::reduction(dnnl::reduction::primitive_desc(desc, b.engine())),
               {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out}});
    b.set_output(i, view(b, out, batched(b.batch(), b.network().output_shape(i))));
  }
  std::vector<float> reference(const Layer& l, const ReferenceInputs& in) const override {
    const Shape& s = in.shapes.at(0);
    const Shape kept = kept_shape(l, s);
    const auto in_strides = strides_of(s), kept_strides = strides_of(kept);
    const auto in_size = static_cast<std::size_t>(volume_of(s)),
               out_size = static_cast<std::size_t>(volume_of(kept));
    const double count = static_cast<double>(in_size) / static_cast<double>(out_size);
    const auto& x = *in.values.at(0);
    std::vector<double> sums(in.batch * out_size, 0.0);
    for (std::size_t n = 0; n < in.batch; ++n)
      for (std::size_t k = 0; k < in_size; ++k) {
        std::int64_t to = 0, rest = static_cast<std::int64_t>(k);
        for (std::size_t d = 0; d < s.size(); ++d) {
          const auto at = rest / in_strides[d];
          rest %= in_strides[d];
          to += (kept[d] == 1 ? 0 : at) * kept_strides[d];
        }
        sums[n * out_size + static_cast<std::size_t>(to)] += x[n * in_size + k];
      }
    std::vector<float> y(sums.size());
    for (std::size_t k = 0; k < y.size(); ++k) y[k] = static_cast<float>(sums[k] / count);
    return y;
  }
};

}  // namespace

const Op& reduce_mean_op() {
  static const ReduceMeanOp op;
  return op;
}

}  // namespace weightfault::nn

// slice: the box [starts, ends) of the per-sample axes (lists "starts" and "ends", one
// entry per axis, step 1). ONNX Slice and Split map here. One reorder from a sub-view.
#include "nn/ops/layout.h"

namespace weightfault::nn {
namespace {

class SliceOp final : public Op {
 public:
  std::string_view name() const override { return "slice"; }
  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    const auto& starts = list_of(l, "starts");
    const auto& ends = list_of(l, "ends");
    const Shape& s = *in[0];
    if (starts.size() != s.size() || ends.size() != s.size())
      fail_layer(l, fmt::format("needs one start and one end per input axis ({})", s.size()));
    Shape out;
    for (std::size_t d = 0; d < s.size(); ++d) {
      if (starts[d] < 0 || ends[d] > s[d] || starts[d] >= ends[d])
        fail_layer(l, fmt::format("axis {}: [{}, {}) is not a non-empty part of [0, {})", d,
                                  starts[d], ends[d], s[d]));
      out.push_back(ends[d] - starts[d]);
    }
    return out;
  }
  void write_attributes(const h5::Object& group, const Layer& l) const override {
    write_lists(group, l, {"starts", "ends"});
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    read_lists(group, l, {"starts", "ends"});
  }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const auto& starts = list_of(b.network().layer(i), "starts");
    const dnnl::memory src = plain(b, b.input(i, 0));
    const auto out_dims = batched(b.batch(), b.network().output_shape(i));
    const dnnl::memory out(plain_desc(out_dims), b.engine());
    dnnl::memory::dims offsets{0};
    offsets.insert(offsets.end(), starts.begin(), starts.end());
    copy_box(b, src, out_dims, offsets, out, dnnl::memory::dims(out_dims.size(), 0));
    b.set_output(i, out);
  }
  std::vector<float> reference(const Layer& l, const ReferenceInputs& in) const override {
    const auto& starts = list_of(l, "starts");
    const Shape& s = in.shapes.at(0);
    const auto in_strides = strides_of(s);
    const auto out_strides = strides_of(in.output_shape);
    const auto in_size = static_cast<std::size_t>(volume_of(s));
    const auto out_size = static_cast<std::size_t>(volume_of(in.output_shape));
    const auto& x = *in.values.at(0);
    std::vector<float> y(in.batch * out_size);
    for (std::size_t n = 0; n < in.batch; ++n)
      for (std::size_t k = 0; k < out_size; ++k) {
        std::int64_t from = 0, rest = static_cast<std::int64_t>(k);
        for (std::size_t d = 0; d < s.size(); ++d) {
          from += (rest / out_strides[d] + starts[d]) * in_strides[d];
          rest %= out_strides[d];
        }
        y[n * out_size + k] = x[n * in_size + static_cast<std::size_t>(from)];
      }
    return y;
  }
};

}  // namespace

const Op& slice_op() {
  static const SliceOp op;
  return op;
}

}  // namespace weightfault::nn

// gather: picks positions (list "indices") along one per-sample axis (attribute
// "axis"); with "scalar" = 1 one index and the axis removed (ONNX Gather with a scalar
// index, e.g. a ViT's class token x[:, 0]). One reorder per index.
#include "nn/ops/layout.h"

namespace weightfault::nn {
namespace {

class GatherOp final : public Op {
 public:
  std::string_view name() const override { return "gather"; }
  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    const auto& indices = list_of(l, "indices");
    const Shape& s = *in[0];
    const auto axis = int_attribute(l, "axis", 0);
    const bool scalar = int_attribute(l, "scalar", 0) != 0;
    if (axis < 0 || axis >= static_cast<std::int64_t>(s.size()))
      fail_layer(l, fmt::format("axis {} outside the input's {} axes", axis, s.size()));
    if (indices.empty() || (scalar && indices.size() != 1))
      fail_layer(l, "needs one index (scalar) or a non-empty index list");
    const auto extent = s[static_cast<std::size_t>(axis)];
    for (const auto k : indices) {
      if (k < 0 || k >= extent)
        fail_layer(l, fmt::format("index {} outside [0, {}) on axis {}", k, extent, axis));
    }
    Shape out = s;
    if (scalar)
      out.erase(out.begin() + axis);
    else
      out[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(indices.size());
    return out;
  }
  void write_attributes(const h5::Object& group, const Layer& l) const override {
    write_lists(group, l, {"indices"});
    write_int_attributes(group, l, {"axis", "scalar"});
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    read_lists(group, l, {"indices"});
    read_int_attributes(group, l, {"axis", "scalar"});
  }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const Layer& l = b.network().layer(i);
    const auto& indices = list_of(l, "indices");
    const auto axis = static_cast<std::size_t>(int_attribute(l, "axis", 0)) + 1;
    const dnnl::memory src = plain(b, b.input(i, 0));
    auto kept = src.get_desc().dims();  // the output with the axis kept
    kept[axis] = static_cast<dnnl::memory::dim>(indices.size());
    // `out` owns the buffer; the copies write through a view with the axis kept.
    const dnnl::memory out(plain_desc(batched(b.batch(), b.network().output_shape(i))), b.engine());
    const dnnl::memory out_kept = view(b, out, kept);
    auto box = kept;
    box[axis] = 1;
    for (std::size_t j = 0; j < indices.size(); ++j) {
      dnnl::memory::dims from(kept.size(), 0), to(kept.size(), 0);
      from[axis] = indices[j];
      to[axis] = static_cast<dnnl::memory::dim>(j);
      copy_box(b, src, box, from, out_kept, to);
    }
    b.set_output(i, out);
  }
  std::vector<float> reference(const Layer& l, const ReferenceInputs& in) const override {
    const auto& indices = list_of(l, "indices");
    const auto axis = static_cast<std::size_t>(int_attribute(l, "axis", 0));
    const Shape& s = in.shapes.at(0);
    std::size_t outer = in.batch, inner = 1;
    for (std::size_t d = 0; d < axis; ++d) outer *= static_cast<std::size_t>(s[d]);
    for (std::size_t d = axis + 1; d < s.size(); ++d) inner *= static_cast<std::size_t>(s[d]);
    const auto extent = static_cast<std::size_t>(s[axis]);
    const auto& x = *in.values.at(0);
    std::vector<float> y;
    y.reserve(outer * indices.size() * inner);
    for (std::size_t o = 0; o < outer; ++o)
      for (const auto k : indices)
        for (std::size_t j = 0; j < inner; ++j)
          y.push_back(x[(o * extent + static_cast<std::size_t>(k)) * inner + j]);
    return y;
  }
};

}  // namespace

const Op& gather_op() {
  static const GatherOp op;
  return op;
}

}  // namespace weightfault::nn

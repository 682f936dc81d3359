// transpose: permutes the per-sample axes (list "perm": output axis d is input axis
// perm[d]; the batch axis stays first). One reorder from a permuted view.
#include <algorithm>

#include "nn/ops/layout.h"

namespace weightfault::nn {
namespace {

class TransposeOp final : public Op {
 public:
  std::string_view name() const override { return "transpose"; }
  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    const auto& perm = list_of(l, "perm");
    std::vector<std::int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t d = 0; d < sorted.size(); ++d) {
      if (sorted.size() != in[0]->size() || sorted[d] != static_cast<std::int64_t>(d))
        fail_layer(l, fmt::format("perm [{}] is not a permutation of the input's {} axes",
                                  fmt::join(perm, ", "), in[0]->size()));
    }
    Shape out;
    for (const auto p : perm) out.push_back((*in[0])[static_cast<std::size_t>(p)]);
    return out;
  }
  void write_attributes(const h5::Object& group, const Layer& l) const override {
    write_lists(group, l, {"perm"});
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    read_lists(group, l, {"perm"});
  }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const auto& perm = list_of(b.network().layer(i), "perm");
    const dnnl::memory src = plain(b, b.input(i, 0));
    const auto in_strides = plain_strides(src.get_desc().dims());
    const auto out_dims = batched(b.batch(), b.network().output_shape(i));
    dnnl::memory::dims strides{in_strides[0]};
    for (const auto p : perm) strides.push_back(in_strides[static_cast<std::size_t>(p) + 1]);
    const dnnl::memory permuted(dnnl::memory::desc(out_dims, DnnlType::f32, strides), b.engine(),
                                src.get_data_handle());
    const dnnl::memory out(plain_desc(out_dims), b.engine());
    b.add_step(dnnl::reorder(permuted, out), {{DNNL_ARG_FROM, permuted}, {DNNL_ARG_TO, out}});
    b.set_output(i, out);
  }
  std::vector<float> reference(const Layer& l, const ReferenceInputs& in) const override {
    const auto& perm = list_of(l, "perm");
    const Shape& s = in.shapes.at(0);
    const auto in_strides = strides_of(s);
    const auto& out_shape = in.output_shape;
    const auto out_strides = strides_of(out_shape);
    const auto per_sample = static_cast<std::size_t>(volume_of(s));
    const auto& x = *in.values.at(0);
    std::vector<float> y(x.size());
    for (std::size_t n = 0; n < in.batch; ++n)
      for (std::size_t k = 0; k < per_sample; ++k) {
        std::int64_t from = 0, rest = static_cast<std::int64_t>(k);
        for (std::size_t d = 0; d < out_shape.size(); ++d) {
          const auto at = rest / out_strides[d];
          rest %= out_strides[d];
          from += at * in_strides[static_cast<std::size_t>(perm[d])];
        }
        y[n * per_sample + k] = x[n * per_sample + static_cast<std::size_t>(from)];
      }
    return y;
  }
};

}  // namespace

const Op& transpose_op() {
  static const TransposeOp op;
  return op;
}

}  // namespace weightfault::nn

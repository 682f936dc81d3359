// layer_norm: normalizes each row over the last axis, then scales and shifts per
// feature: y = (x - mean) / sqrt(var + epsilon) * gamma + beta (gamma, beta [D];
// transformers' LayerNorm). gamma and beta are learned, stored weights.
// oneDNN layer_normalization_forward.
#include <cmath>

#include "nn/ops/layout.h"

namespace weightfault::nn {
namespace {

class LayerNormOp final : public Op {
 public:
  std::string_view name() const override { return "layer_norm"; }
  std::vector<std::string> param_roles() const override { return {"gamma", "beta"}; }
  bool stores_params() const override { return true; }
  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    if (in[0]->empty()) fail_layer(l, "needs an input with at least one axis");
    if (!(l.epsilon > 0.0f)) fail_layer(l, "epsilon must be positive");
    expect_param_dims(l, "gamma", {in[0]->back()});
    expect_param_dims(l, "beta", {in[0]->back()});
    return *in[0];
  }
  void write_attributes(const h5::Object& group, const Layer& l) const override {
    h5::write_double_attribute(group, "epsilon", l.epsilon);
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    l.epsilon = static_cast<float>(h5::read_double_attribute(group, "epsilon"));
  }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const Layer& l = b.network().layer(i);
    const dnnl::memory src = plain(b, b.input(i, 0));
    const auto dims = src.get_desc().dims();
    const dnnl::memory::desc vector_md({dims.back()}, DnnlType::f32, DnnlTag::a);
    const dnnl::layer_normalization_forward::desc desc(
        dnnl::prop_kind::forward_inference, src.get_desc(), l.epsilon,
        dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift);
    const dnnl::layer_normalization_forward::primitive_desc pd(desc, b.engine());
    const dnnl::memory out(pd.dst_desc(), b.engine());
    b.add_step(dnnl::layer_normalization_forward(pd),
               {{DNNL_ARG_SRC, src},
                {DNNL_ARG_SCALE, b.param(i, "gamma", vector_md)},
                {DNNL_ARG_SHIFT, b.param(i, "beta", vector_md)},
                {DNNL_ARG_DST, out}});
    b.set_output(i, out);
  }
  std::vector<float> reference(const Layer& l, const ReferenceInputs& in) const override {
    const auto& gamma = l.params.at("gamma").values;
    const auto& beta = l.params.at("beta").values;
    const auto& x = *in.values.at(0);
    const std::size_t d = gamma.size();
    std::vector<float> y(x.size());
    for (std::size_t row = 0; row < x.size() / d; ++row) {
      const float* v = x.data() + row * d;
      double mean = 0, var = 0;
      for (std::size_t k = 0; k < d; ++k) mean += v[k];
      mean /= static_cast<double>(d);
      for (std::size_t k = 0; k < d; ++k) var += (v[k] - mean) * (v[k] - mean);
      var /= static_cast<double>(d);
      const double inv = 1.0 / std::sqrt(var + l.epsilon);
      for (std::size_t k = 0; k < d; ++k)
        y[row * d + k] = static_cast<float>((v[k] - mean) * inv * gamma[k] + beta[k]);
    }
    return y;
  }
};

}  // namespace

const Op& layer_norm_op() {
  static const LayerNormOp op;
  return op;
}

}  // namespace weightfault::nn

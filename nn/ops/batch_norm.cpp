// batch_norm: y = gamma (x - mean) / sqrt(variance + epsilon) + beta per channel
// (channel = first per-sample axis). Inference uses the moving statistics;
// training the batch's, folding them into the moving averages. Folded into a
// preceding conv2d when the model is loaded (nn/network.h, fold_batch_norm).
#include <cmath>

#include <fmt/format.h>
#include "nn/definition_context.h"

#include "nn/dnnl_util.h"
#include "nn/network.h"
#include "nn/op.h"

namespace weightfault::nn {
namespace {

using dnnl::memory;

class BatchNormOp final : public Op {
 public:
  std::string_view name() const override { return "batch_norm"; }
  std::vector<std::string> param_roles() const override {
    return {"gamma", "beta", "moving_mean", "moving_variance"};
  }

  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    const std::int64_t channels = (*in[0])[0];
    for (const auto& role : param_roles()) expect_param_dims(l, role, {channels});
    if (!(l.epsilon > 0.0f)) fail_layer(l, "epsilon must be positive");
    return *in[0];
  }
  void write_attributes(const h5::Object& group, const Layer& l) const override {
    h5::write_double_attribute(group, "epsilon", l.epsilon);
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    l.epsilon = static_cast<float>(h5::read_double_attribute(group, "epsilon"));
  }
  Shape define(DefinitionContext& ctx) const override {
    Layer& l = ctx.layer;
    if (auto v = ctx.reader.number(ctx.table, "epsilon", false, 1e-9, 1.0))
      l.epsilon = static_cast<float>(*v);
    const std::int64_t channels = ctx.input.empty() ? 1 : ctx.input[0];
    l.params["gamma"] = zero_tensor({channels}, 1.0f);
    l.params["beta"] = zero_tensor({channels});
    l.params["moving_mean"] = zero_tensor({channels});
    l.params["moving_variance"] = zero_tensor({channels}, 1.0f);
    return ctx.input;
  }

  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const Layer& l = b.network().layer(i);
    const memory src = b.input(i, 0);
    const auto flags = dnnl::normalization_flags::use_global_stats |
                       dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
    const dnnl::batch_normalization_forward::desc desc(dnnl::prop_kind::forward_inference,
                                                       src.get_desc(), l.epsilon, flags);
    const dnnl::batch_normalization_forward::primitive_desc pd(desc, b.engine());
    const memory out(pd.dst_desc(), b.engine());
    const auto vector_memory = [&](const std::string& role) {
      const auto& values = l.params.at(role).values;
      memory m(memory::desc({static_cast<memory::dim>(values.size())}, DnnlType::f32, DnnlTag::x),
               b.engine());
      std::copy(values.begin(), values.end(), data_of(m));
      return m;
    };
    b.add_step(dnnl::batch_normalization_forward(pd),
               {{DNNL_ARG_SRC, src},
                {DNNL_ARG_SCALE, vector_memory("gamma")},
                {DNNL_ARG_SHIFT, vector_memory("beta")},
                {DNNL_ARG_MEAN, vector_memory("moving_mean")},
                {DNNL_ARG_VARIANCE, vector_memory("moving_variance")},
                {DNNL_ARG_DST, out}});
    b.set_output(i, out);
  }

  void build_training(TrainingBuilder& b, std::size_t i) const override {
    const Layer& l = b.network().layer(i);
    const memory src = b.input(i, 0);
    const auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
    const dnnl::batch_normalization_forward::desc fd(dnnl::prop_kind::forward_training,
                                                     src.get_desc(), l.epsilon, flags);
    const dnnl::batch_normalization_forward::primitive_desc fpd(fd, b.engine());
    const memory::desc vec_md({src.get_desc().dims()[1]}, DnnlType::f32, DnnlTag::x);
    const auto gamma = b.param(i, "gamma", vec_md, false);
    const auto beta = b.param(i, "beta", vec_md, false);
    const memory mean(fpd.mean_desc(), b.engine()), variance(fpd.variance_desc(), b.engine());
    b.forward(dnnl::batch_normalization_forward(fpd), {{DNNL_ARG_SRC, src},
                                                       {DNNL_ARG_SCALE, gamma.used},
                                                       {DNNL_ARG_SHIFT, beta.used},
                                                       {DNNL_ARG_MEAN, mean},
                                                       {DNNL_ARG_VARIANCE, variance},
                                                       {DNNL_ARG_DST, b.output(i)}});
    const dnnl::batch_normalization_backward::desc bd(dnnl::prop_kind::backward, src.get_desc(),
                                                      src.get_desc(), l.epsilon, flags);
    b.backward(dnnl::batch_normalization_backward(
                   dnnl::batch_normalization_backward::primitive_desc(bd, b.engine(), fpd)),
               {{DNNL_ARG_SRC, src},
                {DNNL_ARG_MEAN, mean},
                {DNNL_ARG_VARIANCE, variance},
                {DNNL_ARG_SCALE, gamma.used},
                {DNNL_ARG_SHIFT, beta.used},
                {DNNL_ARG_DIFF_DST, b.output_gradient(i)},
                {DNNL_ARG_DIFF_SRC, b.input_gradient(i)},
                {DNNL_ARG_DIFF_SCALE, gamma.diff},
                {DNNL_ARG_DIFF_SHIFT, beta.diff}});
    b.track_statistics(i, mean, variance);
  }

  std::vector<float> reference(const Layer& l, const ReferenceInputs& in) const override {
    const auto& g = l.params.at("gamma").values;
    const auto& be = l.params.at("beta").values;
    const auto& m = l.params.at("moving_mean").values;
    const auto& v = l.params.at("moving_variance").values;
    const auto& x = *in.values.at(0);
    std::size_t volume = 1;
    for (auto d : in.shapes.at(0)) volume *= static_cast<std::size_t>(d);
    const auto c = static_cast<std::size_t>(in.shapes.at(0)[0]);
    const std::size_t per_channel = volume / c;
    std::vector<float> y(x.size());
    for (std::size_t n = 0; n < in.batch; ++n)
      for (std::size_t ch = 0; ch < c; ++ch)
        for (std::size_t k = 0; k < per_channel; ++k) {
          const std::size_t at = n * volume + ch * per_channel + k;
          y[at] = static_cast<float>(
              g[ch] * (x[at] - m[ch]) / std::sqrt(static_cast<double>(v[ch]) + l.epsilon) + be[ch]);
        }
    return y;
  }
};

}  // namespace

const Op& batch_norm_op() {
  static const BatchNormOp op;
  return op;
}

}  // namespace weightfault::nn

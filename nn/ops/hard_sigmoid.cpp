// hard_sigmoid: max(0, min(1, alpha x + beta)) (attributes "alpha", default 0.2, and
// "beta", default 0.5, as ONNX HardSigmoid). oneDNN 2.6 has no such eltwise: a linear
// eltwise with a clip post-op.
#include <algorithm>
#include <cmath>

#include "nn/ops/activation.h"

namespace weightfault::nn {
namespace {

class HardSigmoidOp final : public ActivationOp {
 public:
  std::string_view name() const override { return "hard_sigmoid"; }
  static float alpha(const Layer& l) { return static_cast<float>(number_of(l, "alpha", 0.2)); }
  static float beta(const Layer& l) { return static_cast<float>(number_of(l, "beta", 0.5)); }
  float apply(const Layer& l, float x) const override {
    return std::isnan(x) ? x : std::max(0.0f, std::min(1.0f, alpha(l) * x + beta(l)));
  }
  bool drops_nan() const override { return true; }  // the clip turns NaN into a number
  Eltwise eltwise(const Layer& l) const override {
    return {dnnl::algorithm::eltwise_linear, alpha(l), beta(l)};
  }
  // Two eltwise steps do not fit one post-op.
  std::optional<Eltwise> post_op(const Layer&) const override { return std::nullopt; }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const Layer& l = b.network().layer(i);
    const dnnl::memory src = b.input(i, 0);
    const dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference,
                                           dnnl::algorithm::eltwise_linear, src.get_desc(),
                                           alpha(l), beta(l));
    dnnl::post_ops clip;
    clip.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, 1.0f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(clip);
    const dnnl::eltwise_forward::primitive_desc pd(desc, attr, b.engine());
    const dnnl::memory out(pd.dst_desc(), b.engine());
    b.add_step(dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out}});
    b.set_output(i, out);
  }
  void build_training(TrainingBuilder& b, std::size_t i) const override {
    Op::build_training(b, i);  // refuses: no oneDNN backward for the pair
  }
  void write_attributes(const h5::Object& group, const Layer& l) const override {
    write_numbers(group, l, {"alpha", "beta"});
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    read_numbers(group, l, {"alpha", "beta"});
  }
};

}  // namespace

const Op& hard_sigmoid_op() {
  static const HardSigmoidOp op;
  return op;
}

}  // namespace weightfault::nn

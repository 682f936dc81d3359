// clipped_relu: min(max(x, 0), clip_max) (FT-ClipAct's clipped activation, or
// Keras' ReLU(max_value)).
#include <cmath>

#include <algorithm>

#include "nn/definition_context.h"
#include "nn/ops/activation.h"

namespace weightfault::nn {
namespace {

class ClippedReluOp final : public ActivationOp {
 public:
  bool drops_nan() const override { return true; }  // max/min-based: NaN becomes 0
  std::string_view name() const override { return "clipped_relu"; }
  void check_attributes(const Layer& layer) const override {
    if (!(layer.clip_max > 0.0f)) fail_layer(layer, "clip_max must be positive");
  }
  float apply(const Layer& layer, float x) const override {
    return std::isnan(x) ? x : std::min(std::max(x, 0.0f), layer.clip_max);  // NaN stays
  }
  Eltwise eltwise(const Layer& layer) const override {
    return {dnnl::algorithm::eltwise_clip, 0.0f, layer.clip_max};
  }
  void write_attributes(const h5::Object& group, const Layer& layer) const override {
    h5::write_double_attribute(group, "clip_max", layer.clip_max);
  }
  void read_attributes(const h5::Object& group, Layer& layer) const override {
    layer.clip_max = static_cast<float>(h5::read_double_attribute(group, "clip_max"));
  }
  Shape define(DefinitionContext& ctx) const override {
    if (auto v = ctx.reader.number(ctx.table, "clip_max", true, 1e-6, 1e6))
      ctx.layer.clip_max = static_cast<float>(*v);
    return ctx.input;
  }
};

}  // namespace

const Op& clipped_relu_op() {
  static const ClippedReluOp op;
  return op;
}

}  // namespace weightfault::nn

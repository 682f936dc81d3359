// leaky_relu: x for x >= 0, alpha x below (attribute "alpha", default 0.01 as ONNX).
#include "nn/definition_context.h"
#include "nn/ops/activation.h"

namespace weightfault::nn {
namespace {

float alpha_of(const Layer& layer) {
  const auto it = layer.attributes.find("alpha");
  return it == layer.attributes.end() ? 0.01f : static_cast<float>(it->second);
}

class LeakyReluOp final : public ActivationOp {
 public:
  std::string_view name() const override { return "leaky_relu"; }
  float apply(const Layer& layer, float x) const override {
    return x >= 0.0f ? x : alpha_of(layer) * x;
  }
  Eltwise eltwise(const Layer& layer) const override {
    return {dnnl::algorithm::eltwise_relu, alpha_of(layer), 0.0f};
  }
  void write_attributes(const h5::Object& group, const Layer& layer) const override {
    h5::write_double_attribute(group, "alpha", alpha_of(layer));
  }
  void read_attributes(const h5::Object& group, Layer& layer) const override {
    layer.attributes["alpha"] = h5::read_double_attribute(group, "alpha");
  }
  Shape define(DefinitionContext& ctx) const override {
    if (auto v = ctx.reader.number(ctx.table, "alpha", false, 0.0, 1.0))
      ctx.layer.attributes["alpha"] = *v;
    return ctx.input;
  }
};

}  // namespace

const Op& leaky_relu_op() {
  static const LeakyReluOp op;
  return op;
}

}  // namespace weightfault::nn

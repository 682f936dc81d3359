// input: the network's input, per sample [C, H, W] or [F]; normalized pixels are written
// into its memory (nn/inference_engine.h).
#include <fmt/format.h>

#include "nn/dnnl_util.h"
#include "nn/network.h"
#include "nn/op.h"

namespace weightfault::nn {
namespace {

class InputOp final : public Op {
 public:
  std::string_view name() const override { return "input"; }
  Shape output_shape(const Layer& layer, std::span<const Shape* const> in) const override {
    need_inputs(layer, in, 0);
    if (layer.input_shape.empty() || layer.input_shape.size() > 4)
      fail_layer(layer, "input shape must have 1 to 4 axes per sample ([F], [T, D], [C, H, W])");
    return layer.input_shape;
  }
  void write_attributes(const h5::Object& group, const Layer& layer) const override {
    h5::write_int_attribute(group, "input_shape", layer.input_shape);
  }
  void read_attributes(const h5::Object& group, Layer& layer) const override {
    layer.input_shape = h5::read_int_attribute(group, "input_shape");
  }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const dnnl::memory input(plain_desc(batched(b.batch(), b.network().output_shape(i))),
                             b.engine());
    b.set_network_input(input);
    b.set_output(i, input);
  }
  void build_training(TrainingBuilder& b, std::size_t i) const override {
    (void)b, (void)i;  // the engine writes the batch into the layer's output
  }
  GradientFlow gradient_flow() const override { return GradientFlow::none; }
  std::vector<float> reference(const Layer&, const ReferenceInputs& in) const override {
    return *in.values.at(0);
  }
};

}  // namespace

const Op& input_op() {
  static const InputOp op;
  return op;
}

}  // namespace weightfault::nn

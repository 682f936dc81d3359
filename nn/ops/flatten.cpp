// flatten: [C, H, W] (or any shape) to [C*H*W], values in CHW order.
#include "nn/definition_context.h"
#include "nn/ops/copy_op.h"

namespace weightfault::nn {
namespace {

class FlattenOp final : public CopyOp {
 public:
  std::string_view name() const override { return "flatten"; }
  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    std::int64_t total = 1;
    for (auto d : *in[0]) total *= d;
    return {total};
  }
  Shape define(DefinitionContext& ctx) const override {
    std::int64_t n = 1;
    for (const auto d : ctx.input) n *= d;
    return {n};
  }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    b.set_output(i, b.as_flat(b.input(i, 0), b.network().output_shape(i)[0]));
  }
};

}  // namespace

const Op& flatten_op() {
  static const FlattenOp op;
  return op;
}

}  // namespace weightfault::nn

// dropout: identity at inference (and in training here: no units are dropped).
#include "nn/ops/copy_op.h"

namespace weightfault::nn {
namespace {

class DropoutOp final : public CopyOp {
 public:
  std::string_view name() const override { return "dropout"; }
  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    return *in[0];
  }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    b.set_output(i, b.input(i, 0));
  }
};

}  // namespace

const Op& dropout_op() {
  static const DropoutOp op;
  return op;
}

}  // namespace weightfault::nn

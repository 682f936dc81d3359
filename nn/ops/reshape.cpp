// reshape: the same values in row-major order with another per-sample shape
// (list "shape"); no copy when the input is already plain.
#include "nn/ops/copy_op.h"
#include "nn/ops/layout.h"

namespace weightfault::nn {
namespace {

class ReshapeOp final : public CopyOp {
 public:
  std::string_view name() const override { return "reshape"; }
  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    const Shape& shape = list_of(l, "shape");
    for (const auto d : shape) {
      if (d < 1)
        fail_layer(l, fmt::format("shape [{}] has an axis below 1", fmt::join(shape, ", ")));
    }
    if (volume_of(shape) != volume_of(*in[0]))
      fail_layer(l, fmt::format("cannot hold {} values in shape [{}]", volume_of(*in[0]),
                                fmt::join(shape, ", ")));
    return shape;
  }
  void write_attributes(const h5::Object& group, const Layer& l) const override {
    write_lists(group, l, {"shape"});
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    read_lists(group, l, {"shape"});
  }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    b.set_output(i,
                 view(b, plain(b, b.input(i, 0)), batched(b.batch(), b.network().output_shape(i))));
  }
};

}  // namespace

const Op& reshape_op() {
  static const ReshapeOp op;
  return op;
}

}  // namespace weightfault::nn

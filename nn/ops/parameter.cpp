// parameter: a learned tensor used as an activation, the same for every sample
// (parameter "value" with the per-sample shape): a ViT's class token and position
// embedding, a learned constant operand of add/mul. Its values are stored weights.
// Input 0 (the network input) only places it in the graph.
#include <cstring>

#include "nn/ops/layout.h"

namespace weightfault::nn {
namespace {

class ParameterOp final : public Op {
 public:
  std::string_view name() const override { return "parameter"; }
  std::vector<std::string> param_roles() const override { return {"value"}; }
  bool stores_params() const override { return true; }
  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    const auto it = l.params.find("value");
    if (it == l.params.end() || it->second.dims.empty())
      fail_layer(l, "needs a parameter tensor 'value' with at least one axis");
    expect_param_dims(l, "value", it->second.dims);
    return it->second.dims;
  }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const Shape& shape = b.network().output_shape(i);
    const dnnl::memory value =
        view(b, b.param(i, "value", plain_desc(dnnl::memory::dims(shape.begin(), shape.end()))),
             batched(1, shape));
    // Broadcast over the batch: zeros + value (the zeros are never written).
    const dnnl::memory zeros(plain_desc(batched(b.batch(), shape)), b.engine());
    std::memset(zeros.get_data_handle(), 0, zeros.get_desc().get_size());
    const dnnl::memory out(zeros.get_desc(), b.engine());
    const dnnl::binary::desc desc(dnnl::algorithm::binary_add, zeros.get_desc(), value.get_desc(),
                                  out.get_desc());
    b.add_step(dnnl::binary(dnnl::binary::primitive_desc(desc, b.engine())),
               {{DNNL_ARG_SRC_0, zeros}, {DNNL_ARG_SRC_1, value}, {DNNL_ARG_DST, out}});
    b.set_output(i, out);
  }
  std::vector<float> reference(const Layer& l, const ReferenceInputs& in) const override {
    const auto& v = l.params.at("value").values;
    std::vector<float> y;
    for (std::size_t n = 0; n < in.batch; ++n) y.insert(y.end(), v.begin(), v.end());
    return y;
  }
};

}  // namespace

const Op& parameter_op() {
  static const ParameterOp op;
  return op;
}

}  // namespace weightfault::nn

// dense: fully connected, kernel [O][I] (OI), bias [O]; flat input [F], or any input
// [..., F] (sequences [T, D]: applied to the last axis of every row).
#include <cmath>

#include "nn/definition_context.h"
#include "nn/dnnl_util.h"
#include "nn/network.h"
#include "nn/op.h"
#include "nn/ops/weighted.h"
#include "nn/ops/window.h"

namespace weightfault::nn {
namespace {

using dnnl::memory;

class DenseOp final : public Op {
 public:
  std::string_view name() const override { return "dense"; }
  std::vector<std::string> param_roles() const override { return {"kernel", "bias"}; }
  bool stores_params() const override { return true; }
  bool fuses_activation() const override { return true; }

  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    Shape s = *in[0];
    if (s.empty()) fail_layer(l, "needs an input with at least one axis");
    expect_param_dims(l, "kernel", {l.units, s.back()});
    expect_param_dims(l, "bias", {l.units});
    s.back() = l.units;
    return s;
  }

  void write_attributes(const h5::Object& group, const Layer& l) const override {
    h5::write_int_attribute(group, "units", {l.units});
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    l.units = read_int_array<1>(group, "units")[0];
  }

  Shape define(DefinitionContext& ctx) const override {
    Layer& l = ctx.layer;
    if (auto v = ctx.reader.integer(ctx.table, "units", true, 1, 65536)) l.units = *v;
    const Shape& in = ctx.input;
    if (in.size() != 1) {
      ctx.bad_input("a flat [F]");
      return in;
    }
    Tensor kernel = zero_tensor({l.units, in[0]});
    fill_uniform(kernel, ctx.init, static_cast<float>(std::sqrt(6.0 / static_cast<double>(in[0]))));
    l.params["kernel"] = kernel;
    l.params["bias"] = zero_tensor({l.units});
    return {l.units};
  }

  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const Layer& l = b.network().layer(i);
    const auto& kdims = l.params.at("kernel").dims;
    const memory::desc bias_md({l.units}, DnnlType::f32, DnnlTag::x);
    memory src = b.input(i, 0);
    auto out_dims = batched(b.batch(), b.network().output_shape(i));
    const bool rows = out_dims.size() > 2;  // [N, ..., F]: one product per row of F
    if (rows) {
      src = b.as_layout(src, plain_desc(src.get_desc().dims()));
      const auto in_dims = src.get_desc().dims();
      src = memory(
          plain_desc({static_cast<memory::dim>(elements_of(src) / in_dims.back()), in_dims.back()}),
          b.engine(), src.get_data_handle());
      out_dims = {src.get_desc().dims()[0], l.units};
    }
    const dnnl::inner_product_forward::desc desc(
        dnnl::prop_kind::forward_inference, src.get_desc(),
        memory::desc(memory::dims(kdims.begin(), kdims.end()), DnnlType::f32, DnnlTag::any),
        bias_md, rows ? plain_desc(out_dims) : memory::desc(out_dims, DnnlType::f32, DnnlTag::any));
    const dnnl::inner_product_forward::primitive_desc pd(desc, b.attr(), b.engine());
    src = b.as_layout(src, pd.src_desc());
    const memory kernel = b.param(i, "kernel", pd.weights_desc());
    const memory bias = b.param(i, "bias", bias_md);
    const memory out(pd.dst_desc(), b.engine());
    b.add_step(dnnl::inner_product_forward(pd), weighted_forward_args(src, kernel, bias, out));
    b.set_output(i, rows ? memory(plain_desc(batched(b.batch(), b.network().output_shape(i))),
                                  b.engine(), out.get_data_handle())
                         : out);
  }

  void build_training(TrainingBuilder& b, std::size_t i) const override {
    const Layer& l = b.network().layer(i);
    const memory src = b.input(i, 0), out = b.output(i);
    if (src.get_desc().dims().size() != 2)
      fail_layer(l, "dense needs a flat input (add a flatten)");
    const auto& kdims = l.params.at("kernel").dims;
    const memory::desc kernel_md(memory::dims(kdims.begin(), kdims.end()), DnnlType::f32,
                                 DnnlTag::oi);
    const memory::desc bias_md({l.units}, DnnlType::f32, DnnlTag::x);
    const dnnl::inner_product_forward::desc fd(dnnl::prop_kind::forward_training, src.get_desc(),
                                               kernel_md, bias_md, out.get_desc());
    const dnnl::inner_product_forward::primitive_desc fpd(fd, b.engine());
    const auto kernel = b.param(i, "kernel", kernel_md, true);
    const auto bias = b.param(i, "bias", bias_md, false);
    b.forward(dnnl::inner_product_forward(fpd),
              weighted_forward_args(src, kernel.used, bias.used, out));
    const dnnl::inner_product_backward_data::desc bd(src.get_desc(), kernel_md, out.get_desc());
    const dnnl::inner_product_backward_weights::desc wd(src.get_desc(), kernel_md, bias_md,
                                                        out.get_desc());
    add_weighted_backward(
        b, i,
        dnnl::inner_product_backward_weights(
            dnnl::inner_product_backward_weights::primitive_desc(wd, b.engine(), fpd)),
        dnnl::inner_product_backward_data(
            dnnl::inner_product_backward_data::primitive_desc(bd, b.engine(), fpd)),
        src, kernel, bias);
  }

  std::vector<float> reference(const Layer& l, const ReferenceInputs& in) const override {
    const auto& w = l.params.at("kernel").values;
    const auto& bias = l.params.at("bias").values;
    const auto& x = *in.values.at(0);
    const auto fi = static_cast<std::size_t>(in.shapes.at(0).back());
    const auto fo = static_cast<std::size_t>(l.units);
    const std::size_t rows = x.size() / fi;
    std::vector<float> y(rows * fo);
    for (std::size_t n = 0; n < rows; ++n)
      for (std::size_t o = 0; o < fo; ++o) {
        double acc = bias[o];
        for (std::size_t k = 0; k < fi; ++k)
          acc += static_cast<double>(w[o * fi + k]) * x[n * fi + k];
        y[n * fo + o] = static_cast<float>(acc);
      }
    return y;
  }
};

}  // namespace

const Op& dense_op() {
  static const DenseOp op;
  return op;
}

}  // namespace weightfault::nn

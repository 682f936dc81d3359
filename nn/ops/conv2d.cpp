// conv2d: 2-D convolution, kernel [O][I][KH][KW] (OIHW), bias [O], stride and
// explicit padding (top, left, bottom, right); input [C, H, W].
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

dnnl::convolution_forward::desc forward_desc(dnnl::prop_kind prop, const Layer& l,
                                             const memory::desc& src, const memory::desc& kernel,
                                             const memory::desc& bias, const memory::desc& dst) {
  return {prop,
          dnnl::algorithm::convolution_direct,
          src,
          kernel,
          bias,
          dst,
          {l.stride[0], l.stride[1]},
          {l.padding[0], l.padding[1]},
          {l.padding[2], l.padding[3]}};
}

class Conv2dOp final : public Op {
 public:
  std::string_view name() const override { return "conv2d"; }
  std::vector<std::string> param_roles() const override { return {"kernel", "bias"}; }
  bool stores_params() const override { return true; }

  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    const Shape& s = *in[0];
    if (s.size() != 3)
      fail_layer(l, fmt::format("needs a [C, H, W] input, got {}", shape_to_string(s)));
    expect_param_dims(l, "kernel", {l.units, s[0], l.kernel[0], l.kernel[1]});
    expect_param_dims(l, "bias", {l.units});
    return {l.units, checked_window_output(l, s[1], 0), checked_window_output(l, s[2], 1)};
  }

  void write_attributes(const h5::Object& group, const Layer& l) const override {
    h5::write_int_attribute(group, "units", {l.units});
    write_window(group, l);
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    l.units = read_int_array<1>(group, "units")[0];
    read_window_attributes(group, l);
  }

  Shape define(DefinitionContext& ctx) const override {
    Layer& l = ctx.layer;
    if (auto v = ctx.reader.integer(ctx.table, "units", true, 1, 65536)) l.units = *v;
    read_window(ctx, false);
    const Shape& in = ctx.input;
    if (in.size() != 3) {
      ctx.bad_input("a [C, H, W]");
      return in;
    }
    Tensor kernel = zero_tensor({l.units, in[0], l.kernel[0], l.kernel[1]});
    const double fan_in = static_cast<double>(in[0] * l.kernel[0] * l.kernel[1]);
    fill_uniform(kernel, ctx.init, static_cast<float>(std::sqrt(6.0 / fan_in)));  // He uniform
    l.params["kernel"] = kernel;
    l.params["bias"] = zero_tensor({l.units});
    return {l.units, window_output(l, in[1], 0), window_output(l, in[2], 1)};
  }

  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const Layer& l = b.network().layer(i);
    const auto& kdims = l.params.at("kernel").dims;
    const memory::dims kernel_dims(kdims.begin(), kdims.end());
    const memory::desc bias_md({l.units}, DnnlType::f32, DnnlTag::x);
    memory src = b.input(i, 0);
    const auto out_dims = batched(b.batch(), b.network().output_shape(i));
    const auto desc = forward_desc(dnnl::prop_kind::forward_inference, l,
                                   memory::desc(src.get_desc().dims(), DnnlType::f32, DnnlTag::any),
                                   memory::desc(kernel_dims, DnnlType::f32, DnnlTag::any), bias_md,
                                   memory::desc(out_dims, DnnlType::f32, DnnlTag::any));
    const dnnl::convolution_forward::primitive_desc pd(desc, b.attr(), b.engine());
    src = b.as_layout(src, pd.src_desc());
    const memory kernel = b.param(i, "kernel", pd.weights_desc());
    const memory bias = b.param(i, "bias", bias_md);
    const memory out(pd.dst_desc(), b.engine());
    b.add_step(dnnl::convolution_forward(pd), weighted_forward_args(src, kernel, bias, out));
    b.set_output(i, out);
  }

  void build_training(TrainingBuilder& b, std::size_t i) const override {
    const Layer& l = b.network().layer(i);
    const auto& kdims = l.params.at("kernel").dims;
    const memory::desc kernel_md(memory::dims(kdims.begin(), kdims.end()), DnnlType::f32,
                                 DnnlTag::oihw);
    const memory::desc bias_md({l.units}, DnnlType::f32, DnnlTag::x);
    const memory src = b.input(i, 0), out = b.output(i);
    const auto fd = forward_desc(dnnl::prop_kind::forward_training, l, src.get_desc(), kernel_md,
                                 bias_md, out.get_desc());
    const dnnl::convolution_forward::primitive_desc fpd(fd, b.engine());
    const auto kernel = b.param(i, "kernel", kernel_md, true);
    const auto bias = b.param(i, "bias", bias_md, false);
    b.forward(dnnl::convolution_forward(fpd),
              weighted_forward_args(src, kernel.used, bias.used, out));
    const memory::dims strides{l.stride[0], l.stride[1]};
    const memory::dims pad_l{l.padding[0], l.padding[1]}, pad_r{l.padding[2], l.padding[3]};
    const dnnl::convolution_backward_data::desc bd(dnnl::algorithm::convolution_direct,
                                                   src.get_desc(), kernel_md, out.get_desc(),
                                                   strides, pad_l, pad_r);
    const dnnl::convolution_backward_weights::desc wd(dnnl::algorithm::convolution_direct,
                                                      src.get_desc(), kernel_md, bias_md,
                                                      out.get_desc(), strides, pad_l, pad_r);
    add_weighted_backward(
        b, i,
        dnnl::convolution_backward_weights(
            dnnl::convolution_backward_weights::primitive_desc(wd, b.engine(), fpd)),
        dnnl::convolution_backward_data(
            dnnl::convolution_backward_data::primitive_desc(bd, b.engine(), fpd)),
        src, kernel, bias);
  }

  std::vector<float> reference(const Layer& l, const ReferenceInputs& in) const override {
    const auto& w = l.params.at("kernel").values;
    const auto& bias = l.params.at("bias").values;
    const Shape& is = in.shapes.at(0);
    const Shape& os = in.output_shape;
    const auto& x = *in.values.at(0);
    const std::int64_t ci = is[0], ih = is[1], iw = is[2], co = os[0], oh = os[1], ow = os[2];
    const std::int64_t kh = l.kernel[0], kw = l.kernel[1];
    const auto in_volume = static_cast<std::size_t>(ci * ih * iw);
    const auto out_volume = static_cast<std::size_t>(co * oh * ow);
    std::vector<float> y(in.batch * out_volume);
    for (std::size_t n = 0; n < in.batch; ++n)
      for (std::int64_t o = 0; o < co; ++o)
        for (std::int64_t oy = 0; oy < oh; ++oy)
          for (std::int64_t ox = 0; ox < ow; ++ox) {
            double acc = bias[static_cast<std::size_t>(o)];
            for (std::int64_t c = 0; c < ci; ++c)
              for (std::int64_t ky = 0; ky < kh; ++ky)
                for (std::int64_t kx = 0; kx < kw; ++kx) {
                  const std::int64_t yy = oy * l.stride[0] - l.padding[0] + ky;
                  const std::int64_t xx = ox * l.stride[1] - l.padding[1] + kx;
                  if (yy < 0 || yy >= ih || xx < 0 || xx >= iw) continue;
                  acc += static_cast<double>(
                             w[static_cast<std::size_t>(((o * ci + c) * kh + ky) * kw + kx)]) *
                         x[n * in_volume + static_cast<std::size_t>((c * ih + yy) * iw + xx)];
                }
            y[n * out_volume + static_cast<std::size_t>((o * oh + oy) * ow + ox)] =
                static_cast<float>(acc);
          }
    return y;
  }
};

}  // namespace

const Op& conv2d_op() {
  static const Conv2dOp op;
  return op;
}

}  // namespace weightfault::nn

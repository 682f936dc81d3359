// conv2d: 2-D convolution, kernel [O][I/groups][KH][KW] (OIHW), bias [O], stride,
// explicit padding (top, left, bottom, right), groups (depthwise: groups = C) and
// dilations (attributes "groups", "dilation_h", "dilation_w"); input [C, H, W].
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

std::int64_t groups_of(const Layer& l) {
  const auto it = l.attributes.find("groups");
  return it == l.attributes.end() ? 1 : static_cast<std::int64_t>(it->second);
}
std::array<std::int64_t, 2> dilation_of(const Layer& l) {
  const auto get = [&](const char* key) {
    const auto it = l.attributes.find(key);
    return it == l.attributes.end() ? std::int64_t{1} : static_cast<std::int64_t>(it->second);
  };
  return {get("dilation_h"), get("dilation_w")};
}

// The kernel as oneDNN sees it: [O, I/g, KH, KW], or [g, O/g, I/g, KH, KW] with groups
// (the same bytes).
memory::dims kernel_dims(const Layer& l) {
  const auto& d = l.params.at("kernel").dims;
  const auto g = groups_of(l);
  if (g == 1) return {d[0], d[1], d[2], d[3]};
  return {g, d[0] / g, d[1], d[2], d[3]};
}

memory::dims dilates(const Layer& l) {
  const auto d = dilation_of(l);
  return {d[0] - 1, d[1] - 1};  // oneDNN counts the gaps
}

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
          dilates(l),
          {l.padding[0], l.padding[1]},
          {l.padding[2], l.padding[3]}};
}

// The layer with its kernel extent as dilated, for the window arithmetic.
Layer dilated_window(const Layer& l) {
  Layer w;
  w.name = l.name;
  w.op = l.op;
  const auto d = dilation_of(l);
  w.kernel = {(l.kernel[0] - 1) * d[0] + 1, (l.kernel[1] - 1) * d[1] + 1};
  w.stride = l.stride;
  w.padding = l.padding;
  return w;
}

class Conv2dOp final : public Op {
 public:
  std::string_view name() const override { return "conv2d"; }
  std::vector<std::string> param_roles() const override { return {"kernel", "bias"}; }
  bool stores_params() const override { return true; }
  bool fuses_activation() const override { return true; }

  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    const Shape& s = *in[0];
    if (s.size() != 3)
      fail_layer(l, fmt::format("needs a [C, H, W] input, got {}", shape_to_string(s)));
    const auto g = groups_of(l);
    const auto d = dilation_of(l);
    if (g < 1 || s[0] % g != 0 || l.units % g != 0)
      fail_layer(l, fmt::format("groups {} must divide the {} input and {} output channels", g,
                                s[0], l.units));
    if (d[0] < 1 || d[1] < 1) fail_layer(l, "dilations must be at least 1");
    expect_param_dims(l, "kernel", {l.units, s[0] / g, l.kernel[0], l.kernel[1]});
    expect_param_dims(l, "bias", {l.units});
    const Layer w = dilated_window(l);
    return {l.units, checked_window_output(w, s[1], 0), checked_window_output(w, s[2], 1)};
  }

  void write_attributes(const h5::Object& group, const Layer& l) const override {
    h5::write_int_attribute(group, "units", {l.units});
    write_window(group, l);
    if (groups_of(l) != 1) h5::write_int_attribute(group, "groups", {groups_of(l)});
    if (dilation_of(l) != std::array<std::int64_t, 2>{1, 1})
      h5::write_int_attribute(group, "dilations", {dilation_of(l)[0], dilation_of(l)[1]});
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    l.units = read_int_array<1>(group, "units")[0];
    read_window_attributes(group, l);
    if (h5::has_attribute(group, "groups"))
      l.attributes["groups"] = static_cast<double>(read_int_array<1>(group, "groups")[0]);
    if (h5::has_attribute(group, "dilations")) {
      const auto d = read_int_array<2>(group, "dilations");
      l.attributes["dilation_h"] = static_cast<double>(d[0]);
      l.attributes["dilation_w"] = static_cast<double>(d[1]);
    }
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
    const memory::dims kdims = kernel_dims(l);
    const memory::desc bias_md({l.units}, DnnlType::f32, DnnlTag::x);
    memory src = b.input(i, 0);
    const auto out_dims = batched(b.batch(), b.network().output_shape(i));
    const auto desc = forward_desc(dnnl::prop_kind::forward_inference, l,
                                   memory::desc(src.get_desc().dims(), DnnlType::f32, DnnlTag::any),
                                   memory::desc(kdims, DnnlType::f32, DnnlTag::any), bias_md,
                                   memory::desc(out_dims, DnnlType::f32, DnnlTag::any));
    const dnnl::convolution_forward::primitive_desc pd(desc, b.attr(), b.engine());
    src = b.as_layout(src, pd.src_desc());
    const memory kernel = b.param(i, "kernel", pd.weights_desc(), plain_desc(kdims));
    const memory bias = b.param(i, "bias", bias_md);
    const memory out(pd.dst_desc(), b.engine());
    b.add_step(dnnl::convolution_forward(pd), weighted_forward_args(src, kernel, bias, out));
    b.set_output(i, out);
  }

  void build_training(TrainingBuilder& b, std::size_t i) const override {
    const Layer& l = b.network().layer(i);
    const memory::desc kernel_md = plain_desc(kernel_dims(l));
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
                                                   strides, dilates(l), pad_l, pad_r);
    const dnnl::convolution_backward_weights::desc wd(
        dnnl::algorithm::convolution_direct, src.get_desc(), kernel_md, bias_md, out.get_desc(),
        strides, dilates(l), pad_l, pad_r);
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
    const std::int64_t g = groups_of(l), cg = ci / g, og = co / g;
    const auto [dh, dw] = dilation_of(l);
    const auto in_volume = static_cast<std::size_t>(ci * ih * iw);
    const auto out_volume = static_cast<std::size_t>(co * oh * ow);
    std::vector<float> y(in.batch * out_volume);
    for (std::size_t n = 0; n < in.batch; ++n)
      for (std::int64_t o = 0; o < co; ++o)
        for (std::int64_t oy = 0; oy < oh; ++oy)
          for (std::int64_t ox = 0; ox < ow; ++ox) {
            double acc = bias[static_cast<std::size_t>(o)];
            const std::int64_t first_channel = o / og * cg;  // this output's group
            for (std::int64_t c = 0; c < cg; ++c)
              for (std::int64_t ky = 0; ky < kh; ++ky)
                for (std::int64_t kx = 0; kx < kw; ++kx) {
                  const std::int64_t yy = oy * l.stride[0] - l.padding[0] + ky * dh;
                  const std::int64_t xx = ox * l.stride[1] - l.padding[1] + kx * dw;
                  if (yy < 0 || yy >= ih || xx < 0 || xx >= iw) continue;
                  acc += static_cast<double>(
                             w[static_cast<std::size_t>(((o * cg + c) * kh + ky) * kw + kx)]) *
                         x[n * in_volume +
                           static_cast<std::size_t>(((first_channel + c) * ih + yy) * iw + xx)];
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

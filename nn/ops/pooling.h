// Shared by the pools (max_pool, avg_pool, global_avg_pool): oneDNN pooling
// forward and backward with the geometry below. A global average pool is a pool
// whose kernel is the whole input plane; average pooling ignores padded cells,
// as Keras/TensorFlow 'same' pooling does.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "nn/definition_context.h"
#include "nn/dnnl_util.h"
#include "nn/network.h"
#include "nn/op.h"
#include "nn/ops/window.h"

namespace weightfault::nn {

class PoolingOp : public Op {
 public:
  PoolingOp(std::string_view name, bool is_max, bool global)
      : name_(name), is_max_(is_max), global_(global) {}
  std::string_view name() const override { return name_; }
  bool drops_nan() const override { return is_max_; }  // oneDNN's max ignores NaN

  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 1);
    const Shape& s = *in[0];
    if (s.size() != 3)
      fail_layer(l, fmt::format("needs a [C, H, W] input, got {}", shape_to_string(s)));
    if (global_) return {s[0]};
    return {s[0], checked_window_output(l, s[1], 0), checked_window_output(l, s[2], 1)};
  }
  void write_attributes(const h5::Object& group, const Layer& l) const override {
    if (!global_) write_window(group, l);
  }
  void read_attributes(const h5::Object& group, Layer& l) const override {
    if (!global_) read_window_attributes(group, l);
  }
  Shape define(DefinitionContext& ctx) const override {
    const Shape& in = ctx.input;
    if (global_) return {in.empty() ? 1 : in[0]};
    read_window(ctx, true);
    if (in.size() != 3) return in;
    return {in[0], window_output(ctx.layer, in[1], 0), window_output(ctx.layer, in[2], 1)};
  }

  struct Geometry {
    dnnl::algorithm algorithm;
    dnnl::memory::dims kernel, strides, pad_l, pad_r;
    dnnl::memory::dims dst_dims;  // [N, C, OH, OW]; a global pool's is [N, C, 1, 1]
  };
  Geometry geometry(const Layer& l, const dnnl::memory::dims& in_dims,
                    const dnnl::memory::dims& out_dims) const {
    Geometry g;
    g.algorithm =
        is_max_ ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
    if (global_) {
      g.kernel = {in_dims[2], in_dims[3]};
      g.strides = g.kernel;
      g.pad_l = g.pad_r = {0, 0};
      g.dst_dims = {in_dims[0], in_dims[1], 1, 1};
    } else {
      g.kernel = {l.kernel[0], l.kernel[1]};
      g.strides = {l.stride[0], l.stride[1]};
      g.pad_l = {l.padding[0], l.padding[1]};
      g.pad_r = {l.padding[2], l.padding[3]};
      g.dst_dims = out_dims;
    }
    return g;
  }

  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const dnnl::memory src = b.input(i, 0);
    const Shape& out_shape = b.network().output_shape(i);
    const auto g =
        geometry(b.network().layer(i), src.get_desc().dims(), batched(b.batch(), out_shape));
    const dnnl::pooling_v2_forward::desc desc(
        dnnl::prop_kind::forward_inference, g.algorithm, src.get_desc(),
        dnnl::memory::desc(g.dst_dims, DnnlType::f32, DnnlTag::any), g.strides, g.kernel, {0, 0},
        g.pad_l, g.pad_r);
    const dnnl::pooling_v2_forward::primitive_desc pd(desc, b.engine());
    const dnnl::memory pooled(pd.dst_desc(), b.engine());
    b.add_step(dnnl::pooling_v2_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, pooled}});
    b.set_output(i, global_ ? b.as_flat(pooled, out_shape[0]) : pooled);
  }

  void build_training(TrainingBuilder& b, std::size_t i) const override {
    const dnnl::memory src = b.input(i, 0);
    const auto g = geometry(b.network().layer(i), src.get_desc().dims(),
                            batched(b.batch(), b.network().output_shape(i)));
    const dnnl::memory::desc pooled_md = plain_desc(g.dst_dims);
    const dnnl::pooling_v2_forward::desc fd(dnnl::prop_kind::forward_training, g.algorithm,
                                            src.get_desc(), pooled_md, g.strides, g.kernel, {0, 0},
                                            g.pad_l, g.pad_r);
    const dnnl::pooling_v2_forward::primitive_desc fpd(fd, b.engine());
    // A global pool's [N][C][1][1] output is the flat [N][C] output, same bytes.
    const dnnl::memory pooled(pooled_md, b.engine(), b.output(i).get_data_handle());
    const dnnl::memory pooled_diff(pooled_md, b.engine(), b.output_gradient(i).get_data_handle());
    Args fargs{{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, pooled}};
    Args bargs{{DNNL_ARG_DIFF_DST, pooled_diff}, {DNNL_ARG_DIFF_SRC, b.input_gradient(i)}};
    if (is_max_) {
      const dnnl::memory workspace(fpd.workspace_desc(), b.engine());
      fargs.emplace(DNNL_ARG_WORKSPACE, workspace);
      bargs.emplace(DNNL_ARG_WORKSPACE, workspace);
    }
    b.forward(dnnl::pooling_v2_forward(fpd), fargs);
    const dnnl::pooling_v2_backward::desc bd(g.algorithm, src.get_desc(), pooled_md, g.strides,
                                             g.kernel, {0, 0}, g.pad_l, g.pad_r);
    b.backward(
        dnnl::pooling_v2_backward(dnnl::pooling_v2_backward::primitive_desc(bd, b.engine(), fpd)),
        bargs);
  }

  std::vector<float> reference(const Layer& l, const ReferenceInputs& in) const override {
    const Shape& is = in.shapes.at(0);
    const auto& x = *in.values.at(0);
    const std::int64_t c = is[0], ih = is[1], iw = is[2];
    const std::int64_t oh = global_ ? 1 : in.output_shape[1], ow = global_ ? 1 : in.output_shape[2];
    const std::int64_t kh = global_ ? ih : l.kernel[0], kw = global_ ? iw : l.kernel[1];
    const std::int64_t sh = global_ ? 1 : l.stride[0], sw = global_ ? 1 : l.stride[1];
    const std::int64_t pt = global_ ? 0 : l.padding[0], pl = global_ ? 0 : l.padding[1];
    const auto in_volume = static_cast<std::size_t>(c * ih * iw);
    std::vector<float> y(in.batch * static_cast<std::size_t>(c * oh * ow));
    float* out = y.data();
    for (std::size_t n = 0; n < in.batch; ++n)
      for (std::int64_t ch = 0; ch < c; ++ch) {
        const float* plane = x.data() + n * in_volume + static_cast<std::size_t>(ch * ih * iw);
        for (std::int64_t oy = 0; oy < oh; ++oy) {
          // The window's rows and columns inside the input: padding never counts.
          const std::int64_t y0 = std::max<std::int64_t>(0, oy * sh - pt),
                             y1 = std::min(ih, oy * sh - pt + kh);
          for (std::int64_t ox = 0; ox < ow; ++ox, ++out) {
            const std::int64_t x0 = std::max<std::int64_t>(0, ox * sw - pl),
                               x1 = std::min(iw, ox * sw - pl + kw);
            if (is_max_) {
              // The reference propagates NaN, as IEEE and PyTorch (docs/inference.md).
              float m = -std::numeric_limits<float>::infinity();
              bool nan = false;
              for (std::int64_t yy = y0; yy < y1; ++yy)
                for (std::int64_t xx = x0; xx < x1; ++xx) {
                  const float v = plane[yy * iw + xx];
                  nan = nan || std::isnan(v);
                  m = std::max(m, v);
                }
              *out = nan ? std::numeric_limits<float>::quiet_NaN() : m;
            } else {
              double sum = 0.0;
              for (std::int64_t yy = y0; yy < y1; ++yy)
                for (std::int64_t xx = x0; xx < x1; ++xx) sum += plane[yy * iw + xx];
              *out = static_cast<float>(sum / static_cast<double>((y1 - y0) * (x1 - x0)));
            }
          }
        }
      }
    return y;
  }

 private:
  std::string_view name_;
  bool is_max_, global_;
};

}  // namespace weightfault::nn

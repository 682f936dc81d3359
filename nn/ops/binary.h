// Shared by the element-wise ops of two inputs (add, sub, mul, div): numpy
// broadcasting of the per-sample shapes (aligned at the last axis, an axis of 1
// repeats), one oneDNN binary primitive. Each op's file gives its algorithm and
// scalar rule.
#pragma once

#include <algorithm>

#include "nn/ops/layout.h"

namespace weightfault::nn {

class BinaryOp : public Op {
 public:
  virtual dnnl::algorithm algorithm() const = 0;
  virtual float apply(float a, float b) const = 0;
  // a op b == -(b op a): sub; broadcasting the first input swaps the inputs and negates.
  virtual bool anti_commutative() const { return false; }
  virtual bool commutative() const { return true; }

  // Both shapes at the output's rank (leading axes of 1 added).
  static std::pair<Shape, Shape> aligned(const Shape& a, const Shape& b) {
    const std::size_t rank = std::max(a.size(), b.size());
    Shape x(rank - a.size(), 1), y(rank - b.size(), 1);
    x.insert(x.end(), a.begin(), a.end());
    y.insert(y.end(), b.begin(), b.end());
    return {x, y};
  }

  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 2);
    const auto [a, b] = aligned(*in[0], *in[1]);
    Shape out(a.size());
    for (std::size_t d = 0; d < a.size(); ++d) {
      if (a[d] != b[d] && a[d] != 1 && b[d] != 1)
        fail_layer(l, fmt::format("input shapes {} and {} do not broadcast",
                                  shape_to_string(*in[0]), shape_to_string(*in[1])));
      out[d] = std::max(a[d], b[d]);
    }
    // oneDNN broadcasts the second operand only: the first must have the output's shape,
    // or the second must (the inputs swap).
    if (a != out && (b != out || !(commutative() || anti_commutative())))
      fail_layer(
          l, fmt::format("broadcasting inputs {} and {} is not supported (the first "
                         "input, or for add/mul/sub one of them, must have the "
                         "output's shape {})",
                         shape_to_string(*in[0]), shape_to_string(*in[1]), shape_to_string(out)));
    return out;
  }

  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const auto& net = b.network();
    const auto [sa, sb] =
        aligned(net.output_shape(net.inputs_of(i)[0]), net.output_shape(net.inputs_of(i)[1]));
    if (sa == sb &&
        net.output_shape(net.inputs_of(i)[0]) == net.output_shape(net.inputs_of(i)[1])) {
      // Same shapes: the inputs in the layouts they come in (a residual add of two convs).
      const dnnl::memory x = b.input(i, 0), y = b.input(i, 1);
      const dnnl::binary::desc desc(algorithm(), x.get_desc(), y.get_desc(), x.get_desc());
      const dnnl::binary::primitive_desc pd(desc, b.engine());
      const dnnl::memory out(pd.dst_desc(), b.engine());
      b.add_step(dnnl::binary(pd), {{DNNL_ARG_SRC_0, x}, {DNNL_ARG_SRC_1, y}, {DNNL_ARG_DST, out}});
      b.set_output(i, out);
      return;
    }
    dnnl::memory x = view(b, plain(b, b.input(i, 0)), batched(b.batch(), sa));
    dnnl::memory y = view(b, plain(b, b.input(i, 1)), batched(b.batch(), sb));
    const Shape& out_shape = net.output_shape(i);
    dnnl::primitive_attr attr;
    if (sa != out_shape) {
      std::swap(x, y);
      if (anti_commutative()) {
        dnnl::post_ops negate;
        negate.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, -1.0f, 0.0f);
        attr.set_post_ops(negate);
      }
    }
    const dnnl::memory out(plain_desc(batched(b.batch(), out_shape)), b.engine());
    const dnnl::binary::desc desc(algorithm(), x.get_desc(), y.get_desc(), out.get_desc());
    const dnnl::binary::primitive_desc pd(desc, attr, b.engine());
    b.add_step(dnnl::binary(pd), {{DNNL_ARG_SRC_0, x}, {DNNL_ARG_SRC_1, y}, {DNNL_ARG_DST, out}});
    b.set_output(i, out);
  }

  std::vector<float> reference(const Layer&, const ReferenceInputs& in) const override {
    const auto [sa, sb] = aligned(in.shapes.at(0), in.shapes.at(1));
    const Shape& so = in.output_shape;
    const auto sta = strides_of(sa), stb = strides_of(sb), sto = strides_of(so);
    const auto size_a = static_cast<std::size_t>(volume_of(sa)),
               size_b = static_cast<std::size_t>(volume_of(sb)),
               size_o = static_cast<std::size_t>(volume_of(so));
    const auto& x = *in.values.at(0);
    const auto& w = *in.values.at(1);
    std::vector<float> y(in.batch * size_o);
    for (std::size_t n = 0; n < in.batch; ++n)
      for (std::size_t k = 0; k < size_o; ++k) {
        std::int64_t ia = 0, ib = 0, rest = static_cast<std::int64_t>(k);
        for (std::size_t d = 0; d < so.size(); ++d) {
          const auto at = rest / sto[d];
          rest %= sto[d];
          ia += (sa[d] == 1 ? 0 : at) * sta[d];
          ib += (sb[d] == 1 ? 0 : at) * stb[d];
        }
        y[n * size_o + k] = apply(x[n * size_a + static_cast<std::size_t>(ia)],
                                  w[n * size_b + static_cast<std::size_t>(ib)]);
      }
    return y;
  }
};

}  // namespace weightfault::nn

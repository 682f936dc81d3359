// matmul: product of two computed tensors [..., M, K] x [..., K, P] -> [..., M, P]
// (attention's Q K^T and weights times V). Leading axes broadcast as in numpy: a
// lower-rank input gets leading axes of 1, and an axis of 1 repeats. oneDNN matmul.
#include <algorithm>

#include "nn/ops/layout.h"

namespace weightfault::nn {
namespace {

// Both shapes at the output's rank (leading axes of 1 added).
std::pair<Shape, Shape> aligned(const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape x(rank - a.size(), 1), y(rank - b.size(), 1);
  x.insert(x.end(), a.begin(), a.end());
  y.insert(y.end(), b.begin(), b.end());
  return {x, y};
}

class MatmulOp final : public Op {
 public:
  std::string_view name() const override { return "matmul"; }
  Shape output_shape(const Layer& l, std::span<const Shape* const> in) const override {
    need_inputs(l, in, 2);
    if (in[0]->size() < 2 || in[1]->size() < 2)
      fail_layer(l, fmt::format("needs two inputs of rank 2 or more, got {} and {}",
                                shape_to_string(*in[0]), shape_to_string(*in[1])));
    const auto [a, b] = aligned(*in[0], *in[1]);
    const std::size_t r = a.size();
    if (a[r - 1] != b[r - 2])
      fail_layer(l, fmt::format("inner dimensions differ: {} x {}", shape_to_string(*in[0]),
                                shape_to_string(*in[1])));
    Shape out(r);
    for (std::size_t d = 0; d + 2 < r; ++d) {
      if (a[d] != b[d] && a[d] != 1 && b[d] != 1)
        fail_layer(l, fmt::format("axis {} does not broadcast: {} x {}", d, shape_to_string(*in[0]),
                                  shape_to_string(*in[1])));
      out[d] = std::max(a[d], b[d]);
    }
    out[r - 2] = a[r - 2];
    out[r - 1] = b[r - 1];
    return out;
  }
  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const auto& net = b.network();
    const auto [sa, sb] =
        aligned(net.output_shape(net.inputs_of(i)[0]), net.output_shape(net.inputs_of(i)[1]));
    const dnnl::memory src = view(b, plain(b, b.input(i, 0)), batched(b.batch(), sa));
    const dnnl::memory weights = view(b, plain(b, b.input(i, 1)), batched(b.batch(), sb));
    const dnnl::memory out(plain_desc(batched(b.batch(), net.output_shape(i))), b.engine());
    const dnnl::matmul::desc desc(src.get_desc(), weights.get_desc(), out.get_desc());
    const dnnl::matmul::primitive_desc pd(desc, b.engine());
    b.add_step(dnnl::matmul(pd),
               {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, out}});
    b.set_output(i, out);
  }
  std::vector<float> reference(const Layer&, const ReferenceInputs& in) const override {
    const auto [sa, sb] = aligned(in.shapes.at(0), in.shapes.at(1));
    const Shape& so = in.output_shape;
    const std::size_t r = so.size();
    const auto m = static_cast<std::size_t>(so[r - 2]), p = static_cast<std::size_t>(so[r - 1]),
               k = static_cast<std::size_t>(sa[r - 1]);
    std::size_t batches = 1;
    for (std::size_t d = 0; d + 2 < r; ++d) batches *= static_cast<std::size_t>(so[d]);
    const auto size_a = static_cast<std::size_t>(volume_of(sa)),
               size_b = static_cast<std::size_t>(volume_of(sb));
    const auto& x = *in.values.at(0);
    const auto& w = *in.values.at(1);
    std::vector<float> y(in.batch * batches * m * p);
    for (std::size_t n = 0; n < in.batch; ++n)
      for (std::size_t bi = 0; bi < batches; ++bi) {
        // The matrix of each input for output batch index bi (axes of 1 repeat).
        std::size_t ia = 0, ib = 0, rest = bi, stride = batches;
        for (std::size_t d = 0; d + 2 < r; ++d) {
          stride /= static_cast<std::size_t>(so[d]);
          const std::size_t at = rest / stride;
          rest %= stride;
          ia = ia * static_cast<std::size_t>(sa[d]) + (sa[d] == 1 ? 0 : at);
          ib = ib * static_cast<std::size_t>(sb[d]) + (sb[d] == 1 ? 0 : at);
        }
        const float* a = x.data() + n * size_a + ia * m * k;
        const float* bm = w.data() + n * size_b + ib * k * p;
        float* out = y.data() + (n * batches + bi) * m * p;
        for (std::size_t row = 0; row < m; ++row)
          for (std::size_t col = 0; col < p; ++col) {
            double acc = 0;
            for (std::size_t j = 0; j < k; ++j)
              acc += static_cast<double>(a[row * k + j]) * bm[j * p + col];
            out[row * p + col] = static_cast<float>(acc);
          }
      }
    return y;
  }
};

}  // namespace

const Op& matmul_op() {
  static const MatmulOp op;
  return op;
}

}  // namespace weightfault::nn

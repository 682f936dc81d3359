#include "tests/reference_layers.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace weightfault::reference {
namespace {

using nn::Layer;
using nn::LayerOp;
using nn::Shape;

std::size_t volume(const Shape& s) {
  std::size_t v = 1;
  for (auto d : s) v *= static_cast<std::size_t>(d);
  return v;
}

std::vector<float> conv2d(const Layer& l, const Shape& in, const Shape& out,
                          const std::vector<float>& x, std::size_t batch) {
  const auto& w = l.params.at("kernel").values;
  const auto& b = l.params.at("bias").values;
  const std::int64_t ci = in[0], ih = in[1], iw = in[2], co = out[0], oh = out[1], ow = out[2];
  const std::int64_t kh = l.kernel[0], kw = l.kernel[1];
  const std::size_t in_volume = volume(in), out_volume = volume(out);
  std::vector<float> y(batch * out_volume);
  for (std::size_t n = 0; n < batch; ++n)
    for (std::int64_t o = 0; o < co; ++o)
      for (std::int64_t oy = 0; oy < oh; ++oy)
        for (std::int64_t ox = 0; ox < ow; ++ox) {
          double acc = b[static_cast<std::size_t>(o)];
          for (std::int64_t i = 0; i < ci; ++i)
            for (std::int64_t ky = 0; ky < kh; ++ky)
              for (std::int64_t kx = 0; kx < kw; ++kx) {
                const std::int64_t yy = oy * l.stride[0] - l.padding[0] + ky;
                const std::int64_t xx = ox * l.stride[1] - l.padding[1] + kx;
                if (yy < 0 || yy >= ih || xx < 0 || xx >= iw) continue;
                acc += static_cast<double>(
                           w[static_cast<std::size_t>(((o * ci + i) * kh + ky) * kw + kx)]) *
                       x[n * in_volume + static_cast<std::size_t>((i * ih + yy) * iw + xx)];
              }
          y[n * out_volume + static_cast<std::size_t>((o * oh + oy) * ow + ox)] =
              static_cast<float>(acc);
        }
  return y;
}

std::vector<float> dense(const Layer& l, const Shape& in, const std::vector<float>& x,
                         std::size_t batch) {
  const auto& w = l.params.at("kernel").values;
  const auto& b = l.params.at("bias").values;
  const std::size_t fi = volume(in), fo = static_cast<std::size_t>(l.units);
  std::vector<float> y(batch * fo);
  for (std::size_t n = 0; n < batch; ++n)
    for (std::size_t o = 0; o < fo; ++o) {
      double acc = b[o];
      for (std::size_t i = 0; i < fi; ++i)
        acc += static_cast<double>(w[o * fi + i]) * x[n * fi + i];
      y[n * fo + o] = static_cast<float>(acc);
    }
  return y;
}

std::vector<float> pool(const Layer& l, const Shape& in, const Shape& out,
                        const std::vector<float>& x, std::size_t batch) {
  const bool global = l.op == LayerOp::global_avg_pool;
  const bool is_max = l.op == LayerOp::max_pool;
  const std::int64_t c = in[0], ih = in[1], iw = in[2];
  const std::int64_t oh = global ? 1 : out[1], ow = global ? 1 : out[2];
  const std::int64_t kh = global ? ih : l.kernel[0], kw = global ? iw : l.kernel[1];
  const std::int64_t sh = global ? 1 : l.stride[0], sw = global ? 1 : l.stride[1];
  const std::int64_t pt = global ? 0 : l.padding[0], pl = global ? 0 : l.padding[1];
  const std::size_t in_volume = volume(in);
  std::vector<float> y(batch * static_cast<std::size_t>(c * oh * ow));
  for (std::size_t n = 0; n < batch; ++n)
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t oy = 0; oy < oh; ++oy)
        for (std::int64_t ox = 0; ox < ow; ++ox) {
          double acc = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
          int cells = 0;
          for (std::int64_t ky = 0; ky < kh; ++ky)
            for (std::int64_t kx = 0; kx < kw; ++kx) {
              const std::int64_t yy = oy * sh - pt + ky, xx = ox * sw - pl + kx;
              if (yy < 0 || yy >= ih || xx < 0 || xx >= iw) continue;  // padding never counts
              const double v =
                  x[n * in_volume + static_cast<std::size_t>((ch * ih + yy) * iw + xx)];
              acc = is_max ? std::max(acc, v) : acc + v;
              ++cells;
            }
          y[n * static_cast<std::size_t>(c * oh * ow) +
            static_cast<std::size_t>((ch * oh + oy) * ow + ox)] =
              static_cast<float>(is_max ? acc : acc / cells);
        }
  return y;
}

std::vector<float> batch_norm(const Layer& l, const Shape& in, const std::vector<float>& x,
                              std::size_t batch) {
  const auto& g = l.params.at("gamma").values;
  const auto& be = l.params.at("beta").values;
  const auto& m = l.params.at("moving_mean").values;
  const auto& v = l.params.at("moving_variance").values;
  const std::size_t c = static_cast<std::size_t>(in[0]);
  const std::size_t per_channel = volume(in) / c;
  std::vector<float> y(x.size());
  for (std::size_t n = 0; n < batch; ++n)
    for (std::size_t ch = 0; ch < c; ++ch)
      for (std::size_t k = 0; k < per_channel; ++k) {
        const std::size_t at = n * volume(in) + ch * per_channel + k;
        y[at] = static_cast<float>(
            g[ch] * (x[at] - m[ch]) / std::sqrt(static_cast<double>(v[ch]) + l.epsilon) + be[ch]);
      }
  return y;
}

std::vector<float> softmax(const Shape& in, const std::vector<float>& x, std::size_t batch) {
  const std::size_t f = volume(in);
  std::vector<float> y(x.size());
  for (std::size_t n = 0; n < batch; ++n) {
    const float* row = x.data() + n * f;
    const double max = *std::max_element(row, row + f);
    double sum = 0;
    for (std::size_t i = 0; i < f; ++i) sum += std::exp(row[i] - max);
    for (std::size_t i = 0; i < f; ++i)
      y[n * f + i] = static_cast<float>(std::exp(row[i] - max) / sum);
  }
  return y;
}

}  // namespace

std::vector<std::vector<float>> forward(const nn::Network& net, const std::vector<float>& input,
                                        std::size_t batch) {
  std::vector<std::vector<float>> out(net.size());
  for (const auto i : net.topological_order()) {
    const Layer& l = net.layer(i);
    const auto& ins = net.inputs_of(i);
    const Shape in_shape = ins.empty() ? Shape{} : net.output_shape(ins[0]);
    const std::vector<float>& x = ins.empty() ? input : out[ins[0]];
    auto& y = out[i];
    switch (l.op) {
      case LayerOp::input:
      case LayerOp::flatten:
      case LayerOp::dropout:
        y = x;
        break;
      case LayerOp::conv2d:
        y = conv2d(l, in_shape, net.output_shape(i), x, batch);
        break;
      case LayerOp::dense:
        y = dense(l, in_shape, x, batch);
        break;
      case LayerOp::relu:
        y = x;
        for (auto& v : y) v = v > 0.0f ? v : 0.0f;
        break;
      case LayerOp::clipped_relu:
        y = x;
        for (auto& v : y) v = std::min(std::max(v, 0.0f), l.clip_max);
        break;
      case LayerOp::tanh:
        y = x;
        for (auto& v : y) v = std::tanh(v);
        break;
      case LayerOp::max_pool:
      case LayerOp::avg_pool:
      case LayerOp::global_avg_pool:
        y = pool(l, in_shape, net.output_shape(i), x, batch);
        break;
      case LayerOp::batch_norm:
        y = batch_norm(l, in_shape, x, batch);
        break;
      case LayerOp::add:
        y = x;
        for (std::size_t k = 0; k < y.size(); ++k) y[k] += out[ins[1]][k];
        break;
      case LayerOp::softmax:
        y = softmax(in_shape, x, batch);
        break;
    }
  }
  return out;
}

std::vector<float> logits(const nn::Network& net, const std::vector<float>& input,
                          std::size_t batch) {
  auto all = forward(net, input, batch);
  const auto out = net.output_layer();
  const auto which = net.layer(out).op == LayerOp::softmax ? net.inputs_of(out).front() : out;
  return all[which];
}

}  // namespace weightfault::reference

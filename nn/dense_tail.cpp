#include "nn/dense_tail.h"

#include <algorithm>
#include <cmath>

#include "nn/metrics.h"
#include "nn/op.h"
#include "nn/ops/activation.h"

namespace weightfault::nn {
namespace {

std::size_t volume(const Shape& shape) {
  std::size_t v = 1;
  for (const auto d : shape) v *= static_cast<std::size_t>(d);
  return v;
}

// Multiply-adds per sample up to which a dense layer is recomputed here in full when that
// is cheaper than its delta update (a final classifier layer fed by many changed features).
constexpr std::size_t kLargestLayerRecomputed = std::size_t{1} << 16;

const ActivationOp* activation_of(const Layer& layer) {
  return dynamic_cast<const ActivationOp*>(&op_of(layer));
}

}  // namespace

DenseTail DenseTail::plan(const InferenceEngine& engine) {
  const Network& net = engine.network();
  const std::size_t out = net.output_layer();
  const std::size_t logits = net.layer(out).op == "softmax" ? net.inputs_of(out).front() : out;
  std::vector<std::size_t> chain;  // built backwards from the logits
  for (std::size_t at = logits;;) {
    const Layer& layer = net.layer(at);
    if (net.inputs_of(at).size() != 1 || engine.fused_into_previous(at)) break;
    const std::size_t input = net.inputs_of(at).front();
    const bool dense = layer.op == "dense" && net.output_shape(input).size() == 1;
    if (!dense && layer.op != "dropout" && activation_of(layer) == nullptr) break;
    chain.push_back(at);
    // The layer before joins the chain only if nothing else reads its output.
    if (net.consumers_of(input).size() != 1) break;
    at = input;
  }
  std::reverse(chain.begin(), chain.end());
  while (!chain.empty() && net.layer(chain.front()).op != "dense") chain.erase(chain.begin());
  DenseTail tail;
  if (chain.empty()) return tail;
  tail.network_ = &net;
  tail.chain_ = chain;
  for (const auto layer : chain)
    tail.features_.push_back(volume(net.output_shape(net.inputs_of(layer).front())));
  tail.features_.push_back(volume(net.output_shape(chain.back())));
  return tail;
}

bool DenseTail::covers(std::size_t layer) const {
  return network_ != nullptr && network_->layer(layer).op == "dense" &&
         std::find(chain_.begin(), chain_.end(), layer) != chain_.end();
}

std::size_t DenseTail::bytes_for(std::size_t samples) const {
  std::size_t floats = 0;
  for (const auto f : features_) floats += f * samples;
  return floats * sizeof(float) + samples;
}

void DenseTail::start(std::size_t samples) {
  samples_ = samples;
  activations_.assign(features_.size(), {});
  for (std::size_t k = 0; k < features_.size(); ++k) activations_[k].resize(features_[k] * samples);
  golden_correct_.assign(samples, 0);
  golden_correct_total_ = 0;
}

void DenseTail::record_batch(InferenceEngine& engine, std::size_t first, std::size_t count,
                             std::span<const std::uint8_t> labels) {
  for (std::size_t k = 0; k < features_.size(); ++k) {
    const std::size_t layer =
        k < chain_.size() ? network_->inputs_of(chain_[k]).front() : chain_.back();
    const auto values = engine.layer_output(layer);
    const std::size_t f = features_[k];
    std::copy_n(values.begin(), count * f,
                activations_[k].begin() + static_cast<std::ptrdiff_t>(first * f));
  }
  const std::size_t classes = features_.back();
  const auto& logits = activations_.back();
  for (std::size_t n = first; n < first + count; ++n) {
    const bool correct =
        rank_of(std::span<const float>(logits).subspan(n * classes, classes), labels[n]) == 0;
    golden_correct_[n] = correct ? 1 : 0;
    golden_correct_total_ += correct ? 1 : 0;
  }
}

std::optional<std::size_t> DenseTail::correct_with(std::span<const WeightChange> changes,
                                                   const CurrentWeights& current,
                                                   std::span<const std::uint8_t> labels,
                                                   std::vector<int>* predictions) const {
  const std::size_t classes = features_.back();
  const auto& logits = activations_.back();
  if (predictions != nullptr) {
    predictions->resize(samples_);
    for (std::size_t n = 0; n < samples_; ++n)
      (*predictions)[n] =
          predicted_class(std::span<const float>(logits).subspan(n * classes, classes));
  }
  if (changes.empty()) return golden_correct_total_;
  const auto position = [&](std::size_t layer) {
    return static_cast<std::size_t>(std::find(chain_.begin(), chain_.end(), layer) -
                                    chain_.begin());
  };
  std::size_t first = chain_.size();
  for (const auto& c : changes) first = std::min(first, position(c.layer));
  if (first == chain_.size()) return std::nullopt;

  const std::size_t N = samples_;
  // The features entering the current position that differ from the recorded run, and
  // their new values [sample][changed feature].
  std::vector<std::size_t> cols;
  std::vector<float> vals;
  for (std::size_t k = first; k < chain_.size(); ++k) {
    const Layer& layer = network_->layer(chain_[k]);
    const std::size_t F_in = features_[k], F_out = features_[k + 1];
    const float* X = activations_[k].data();
    if (layer.op == "dropout") continue;  // the identity at inference
    if (const auto* activation = activation_of(layer)) {
      for (auto& v : vals) {
        v = activation->apply(layer, v);
        if (!std::isfinite(v)) return std::nullopt;
      }
      continue;
    }
    // dense: rows (output features) that change, with this layer's own weight changes.
    struct Term {
      std::size_t row_slot, input;
      double delta;
    };
    std::vector<std::size_t> rows;
    std::vector<Term> terms;
    std::vector<double> bias_delta;
    std::vector<std::int32_t> slot_of_row(F_out, -1);
    const auto slot = [&](std::size_t row) {
      if (slot_of_row[row] < 0) {
        slot_of_row[row] = static_cast<std::int32_t>(rows.size());
        rows.push_back(row);
        bias_delta.push_back(0.0);
      }
      return static_cast<std::size_t>(slot_of_row[row]);
    };
    if (!cols.empty())
      for (std::size_t j = 0; j < F_out; ++j) slot(j);
    for (const auto& c : changes) {
      if (position(c.layer) != k) continue;
      const double delta = static_cast<double>(c.now) - static_cast<double>(c.golden);
      if (!std::isfinite(delta)) return std::nullopt;
      if (c.bias)
        bias_delta[slot(c.index)] += delta;
      else
        terms.push_back({slot(c.index / F_in), c.index % F_in, delta});
    }
    const auto kernel = current(chain_[k], false);
    const float* Y = activations_[k + 1].data();
    // Cost per sample, decided per layer: the delta update, or the whole layer when that is
    // cheaper -- here if the layer is small, else by the caller's restart (oneDNN's GEMM).
    if (rows.size() * cols.size() + terms.size() > F_in * F_out) {
      if (F_in * F_out > kLargestLayerRecomputed) return std::nullopt;
      const auto bias = current(chain_[k], true);
      std::vector<float> next(N * F_out);
      std::vector<float> x(F_in);
      for (std::size_t n = 0; n < N; ++n) {
        std::copy_n(X + n * F_in, F_in, x.begin());
        for (std::size_t c = 0; c < cols.size(); ++c) x[cols[c]] = vals[n * cols.size() + c];
        for (std::size_t j = 0; j < F_out; ++j) {
          double acc = bias.empty() ? 0.0 : static_cast<double>(bias[j]);
          const float* w = kernel.data() + j * F_in;
          for (std::size_t i = 0; i < F_in; ++i)
            acc += static_cast<double>(w[i]) * static_cast<double>(x[i]);
          const auto v = static_cast<float>(acc);
          if (!std::isfinite(v)) return std::nullopt;
          next[n * F_out + j] = v;
        }
      }
      cols.resize(F_out);
      for (std::size_t j = 0; j < F_out; ++j) cols[j] = j;
      vals = std::move(next);
      continue;
    }
    std::vector<float> next(N * rows.size());
    std::vector<double> acc(rows.size());
    const std::size_t C = cols.size();
    for (std::size_t n = 0; n < N; ++n) {
      const float* x = X + n * F_in;
      const float* x_new = vals.data() + n * C;
      for (std::size_t r = 0; r < rows.size(); ++r)
        acc[r] = static_cast<double>(Y[n * F_out + rows[r]]) + bias_delta[r];
      // W'(x' - x) over the changed inputs (rows then hold every output).
      for (std::size_t c = 0; c < C; ++c) {
        const double dx = static_cast<double>(x_new[c]) - static_cast<double>(x[cols[c]]);
        if (dx == 0.0) continue;
        for (std::size_t r = 0; r < rows.size(); ++r)
          acc[r] += static_cast<double>(kernel[rows[r] * F_in + cols[c]]) * dx;
      }
      // (W' - W) x over this layer's changed weights: with W'(x' - x) above, y' - y.
      for (const auto& t : terms) acc[t.row_slot] += t.delta * static_cast<double>(x[t.input]);
      for (std::size_t r = 0; r < rows.size(); ++r) {
        const auto v = static_cast<float>(acc[r]);
        if (!std::isfinite(v)) return std::nullopt;
        next[n * rows.size() + r] = v;
      }
    }
    cols = std::move(rows);
    vals = std::move(next);
  }

  // The logits: samples whose changed scores differ from the recorded ones are ranked again.
  std::size_t correct = golden_correct_total_;
  std::vector<float> row(classes);
  const std::size_t C = cols.size();
  for (std::size_t n = 0; n < N; ++n) {
    const float* golden = logits.data() + n * classes;
    bool changed = false;
    for (std::size_t c = 0; c < C && !changed; ++c) changed = vals[n * C + c] != golden[cols[c]];
    if (!changed) continue;
    std::copy_n(golden, classes, row.begin());
    for (std::size_t c = 0; c < C; ++c) row[cols[c]] = vals[n * C + c];
    const bool now = rank_of(row, labels[n]) == 0;
    correct = correct - golden_correct_[n] + (now ? 1 : 0);
    if (predictions != nullptr) (*predictions)[n] = predicted_class(row);
  }
  return correct;
}

}  // namespace weightfault::nn

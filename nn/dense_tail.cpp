#include "nn/dense_tail.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

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

// Output channels of the head convolution recomputed in one pass at most (without deltas).
constexpr std::size_t kMaxChannels = 4;

// How many times faster oneDNN's convolution and GEMM run per multiply-add than the delta
// loops here (double sums, one changed input at a time): the head takes a trial by deltas
// only while their multiply-adds are fewer than the restart's divided by this.
constexpr std::size_t kRestartSpeedup = 16;

const ActivationOp* activation_of(const Layer& layer) {
  return dynamic_cast<const ActivationOp*>(&op_of(layer));
}

// body(first, last) over [0, count) in `threads` contiguous parts run at once; each part
// is computed as it would be alone, so results do not depend on `threads`. False if any
// part returned false.
template <class Body>
bool split_samples(std::size_t count, int threads, Body&& body) {
  const std::size_t parts = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, threads)),
                                                  std::max<std::size_t>(1, count / 64));
  if (parts <= 1) return body(std::size_t{0}, count);
  std::vector<char> ok(parts, 0);
  std::vector<std::thread> pool;
  const auto part = [&](std::size_t p) {
    ok[p] = body(count * p / parts, count * (p + 1) / parts) ? 1 : 0;
  };
  for (std::size_t p = 1; p < parts; ++p) pool.emplace_back(part, p);
  part(0);
  for (auto& t : pool) t.join();
  return std::all_of(ok.begin(), ok.end(), [](char c) { return c != 0; });
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

  // A convolution head: conv -> [activation] -> [max_pool] -> [dropout] -> flatten -> dense.
  Head head;
  std::size_t at = net.inputs_of(chain.front()).front();
  bool ok = net.layer(at).op == "flatten";
  while (ok && net.layer(at).op != "conv2d") {
    const Layer& layer = net.layer(at);
    ok = net.inputs_of(at).size() == 1 && net.consumers_of(at).size() == 1 &&
         !engine.fused_into_previous(at) &&
         (layer.op == "flatten" || layer.op == "dropout" || layer.op == "max_pool" ||
          activation_of(layer) != nullptr);
    if (!ok) break;
    head.between.insert(head.between.begin(), at);
    at = net.inputs_of(at).front();
  }
  if (ok) {
    const Layer& conv = net.layer(at);
    const Shape& out_shape = net.output_shape(at);
    const Shape& flat_in = net.output_shape(net.inputs_of(head.between.back()).front());
    ok = net.consumers_of(at).size() == 1 && conv.attributes.count("groups") == 0 &&
         conv.attributes.count("dilation_h") == 0 && out_shape.size() == 3 && flat_in.size() == 3 &&
         flat_in[0] == out_shape[0];
    if (ok) {
      head.conv = at;
      head.in_size = volume(net.output_shape(net.inputs_of(at).front()));
      head.channels = out_shape[0];
      head.height = out_shape[1];
      head.width = out_shape[2];
      head.pooled_height = flat_in[1];
      head.pooled_width = flat_in[2];
      const Shape& in_shape = net.output_shape(net.inputs_of(at).front());
      head.in_channels = in_shape[0];
      head.in_height = in_shape[1];
      head.in_width = in_shape[2];
      head.kernel_h = conv.kernel[0];
      head.kernel_w = conv.kernel[1];
      head.stride_h = conv.stride[0];
      head.stride_w = conv.stride[1];
      head.pad_top = conv.padding[0];
      head.pad_left = conv.padding[1];
      tail.head_ = head;
      tail.head_deltas_ = true;
    }
  }
  return tail;
}

DenseTail::Scratch::Scratch() = default;
DenseTail::Scratch::~Scratch() = default;
DenseTail::Scratch::Scratch(Scratch&&) noexcept = default;
DenseTail::Scratch& DenseTail::Scratch::operator=(Scratch&&) noexcept = default;

DenseTail::Scratch DenseTail::make_scratch(int threads) const {
  Scratch scratch;
  scratch.threads_ = std::max(1, threads);
  if (head_) {
    scratch.networks_.resize(kMaxChannels);
    scratch.engines_.resize(kMaxChannels);
  }
  return scratch;
}

namespace {

// The head convolution with `k` output channels, reading the recorded input as it is.
std::unique_ptr<Network> few_channel_network(const Network& network, std::size_t conv,
                                             std::size_t k) {
  const Layer& layer = network.layer(conv);
  auto net = std::make_unique<Network>();
  Layer input;
  input.name = "input";
  input.op = "input";
  input.input_shape = network.output_shape(network.inputs_of(conv).front());
  net->add_layer(input);
  Layer few = layer;  // the same window, k output channels
  few.name = "channels";
  few.inputs = {"input"};
  few.units = static_cast<std::int64_t>(k);
  auto& kernel = few.params.at("kernel");
  kernel.dims[0] = static_cast<std::int64_t>(k);
  kernel.values.resize(kernel.values.size() / static_cast<std::size_t>(layer.units) * k);
  few.params.at("bias").dims = {static_cast<std::int64_t>(k)};
  few.params.at("bias").values.resize(k);
  net->add_layer(few);
  Layer flat;  // a network's output is flat class scores
  flat.name = "flat";
  flat.op = "flatten";
  flat.inputs = {"channels"};
  net->add_layer(flat);
  net->normalization.scale = 1.0f;
  net->normalization.offset = 0.0f;
  net->finalize();
  return net;
}

// Samples per pass of a few-channel convolution: its input buffer stays small (MBs),
// whatever the scenario's batch; results do not depend on it.
constexpr std::size_t kHeadBatch = 256;

}  // namespace

std::vector<float> DenseTail::head_deltas_for(const std::vector<std::size_t>& channels,
                                              std::span<const WeightChange> changes,
                                              std::size_t first, std::size_t count) const {
  const Head& h = *head_;
  const std::size_t K = channels.size();
  const auto H = static_cast<std::size_t>(h.height), W = static_cast<std::size_t>(h.width);
  const auto KH = static_cast<std::size_t>(h.kernel_h), KW = static_cast<std::size_t>(h.kernel_w);
  // Kernel elements per output channel.
  const std::size_t per_channel = static_cast<std::size_t>(h.in_channels) * KH * KW;
  const auto IH = h.in_height, IW = h.in_width;
  // Per channel: its bias delta and its kernel deltas as (input plane, ky, kx, delta).
  struct Tap {
    std::size_t plane;
    std::int64_t ky, kx;
    double delta;
  };
  std::vector<double> bias_delta(K, 0.0);
  std::vector<std::vector<Tap>> taps(K);
  for (const auto& c : changes) {
    if (c.layer != h.conv) continue;
    const std::size_t channel = c.bias ? c.index : c.index / per_channel;
    const auto k = static_cast<std::size_t>(
        std::lower_bound(channels.begin(), channels.end(), channel) - channels.begin());
    const double delta = static_cast<double>(c.now) - static_cast<double>(c.golden);
    if (c.bias) {
      bias_delta[k] += delta;
      continue;
    }
    const std::size_t e = c.index % per_channel;
    taps[k].push_back({e / (KH * KW), static_cast<std::int64_t>(e / KW % KH),
                       static_cast<std::int64_t>(e % KW), delta});
  }
  // Float sums, as the convolution's own: y + ΔW ⊛ x equals recomputation up to float
  // rounding.
  std::vector<float> values(count * K * H * W);
  const auto in_plane = static_cast<std::size_t>(IH * IW);
  const auto sw = static_cast<std::size_t>(h.stride_w);
  for (std::size_t k = 0; k < K; ++k) {
    // Channel-major recordings: this channel's output and each tap's input plane are
    // contiguous over the samples.
    const float* y_channel = head_output_.data() + (channels[k] * samples_ + first) * H * W;
    const auto bias = static_cast<float>(bias_delta[k]);
    for (std::size_t n = 0; n < count; ++n) {
      const float* y = y_channel + n * H * W;
      float* v = values.data() + (n * K + k) * H * W;
      for (std::size_t p = 0; p < H * W; ++p) v[p] = y[p] + bias;
      for (const auto& t : taps[k]) {
        const float* plane = head_input_.data() + (t.plane * samples_ + first + n) * in_plane;
        const auto delta = static_cast<float>(t.delta);
        // Output columns whose input column lies inside the image (outside: zero padding).
        std::size_t ox_first = 0, ox_last = W;
        while (ox_first < W &&
               static_cast<std::int64_t>(ox_first) * h.stride_w - h.pad_left + t.kx < 0)
          ++ox_first;
        while (ox_last > ox_first &&
               static_cast<std::int64_t>(ox_last - 1) * h.stride_w - h.pad_left + t.kx >= IW)
          --ox_last;
        for (std::size_t oy = 0; oy < H; ++oy) {
          const std::int64_t yy = static_cast<std::int64_t>(oy) * h.stride_h - h.pad_top + t.ky;
          if (yy < 0 || yy >= IH) continue;
          const float* row = plane + yy * IW - h.pad_left + t.kx;
          float* out = v + oy * W;
          for (std::size_t ox = ox_first; ox < ox_last; ++ox) out[ox] += delta * row[ox * sw];
        }
      }
    }
  }
  return values;
}

bool DenseTail::head_channels(const std::vector<std::size_t>& channels,
                              std::span<const WeightChange> changes, const CurrentWeights& current,
                              Scratch* scratch, std::vector<std::vector<float>>& features) const {
  const Head& h = *head_;
  const std::size_t K = channels.size();
  InferenceEngine* engine = nullptr;
  std::size_t layer = 0;
  if (!head_deltas_) {
    if (!scratch->engines_.at(K - 1)) {
      scratch->networks_[K - 1] = few_channel_network(*network_, h.conv, K);
      scratch->engines_[K - 1] = std::make_unique<InferenceEngine>(
          *scratch->networks_[K - 1],
          EngineOptions{.threads = scratch->threads_,
                        .batch = std::max<std::size_t>(1, std::min(kHeadBatch, samples_))});
    }
    engine = scratch->engines_[K - 1].get();
    layer = scratch->networks_[K - 1]->index_of("channels");
    const auto kernel = current(h.conv, false);
    const auto bias = current(h.conv, true);
    const std::size_t per_channel = kernel.size() / static_cast<std::size_t>(h.channels);
    std::vector<float> few_kernel, few_bias;
    for (const auto c : channels) {
      few_kernel.insert(few_kernel.end(),
                        kernel.begin() + static_cast<std::ptrdiff_t>(c * per_channel),
                        kernel.begin() + static_cast<std::ptrdiff_t>((c + 1) * per_channel));
      few_bias.push_back(bias[c]);
    }
    engine->set_param(layer, "kernel", few_kernel);
    engine->set_param(layer, "bias", few_bias);
  }
  const auto PH = static_cast<std::size_t>(h.pooled_height),
             PW = static_cast<std::size_t>(h.pooled_width);
  features.assign(K, std::vector<float>(samples_ * PH * PW));
  // The layers between the convolution and the dense layer act channel by channel: their
  // plain-loop references (nn/op.h) on the K channels give exactly their features.
  const auto k_channels = [&](Shape shape) {  // a layer's per-sample shape with K channels
    if (shape.size() == 3)
      shape[0] = static_cast<std::int64_t>(K);
    else
      shape = {static_cast<std::int64_t>(K * PH * PW)};  // the flatten
    return shape;
  };
  const std::size_t batch = engine != nullptr ? engine->batch_size() : kHeadBatch;
  const auto samples = [&](std::size_t from, std::size_t to) {
    for (std::size_t first = from; first < to; first += batch) {
      const std::size_t count = std::min(batch, to - first);
      std::vector<float> values;  // [count][K][H][W]
      if (engine != nullptr) {
        // Sample-major for the engine, from the channel-major recording.
        const std::size_t plane = h.in_size / static_cast<std::size_t>(h.in_channels);
        std::vector<float> input(count * h.in_size);
        for (std::size_t n = 0; n < count; ++n)
          for (std::size_t c = 0; c < static_cast<std::size_t>(h.in_channels); ++c)
            std::copy_n(head_input_.begin() +
                            static_cast<std::ptrdiff_t>((c * samples_ + first + n) * plane),
                        plane,
                        input.begin() + static_cast<std::ptrdiff_t>(n * h.in_size + c * plane));
        engine->load_inputs(input, count);
        engine->run_from(0);
        const auto out = engine->layer_output(layer);
        values.assign(out.begin(),
                      out.begin() + static_cast<std::ptrdiff_t>(
                                        count * K * static_cast<std::size_t>(h.height * h.width)));
      } else {
        values = head_deltas_for(channels, changes, first, count);
      }
      Shape shape{static_cast<std::int64_t>(K), h.height, h.width};
      for (const auto l : h.between) {
        const Layer& between = network_->layer(l);
        ReferenceInputs in{{&values}, {shape}, k_channels(network_->output_shape(l)), count};
        values = op_of(between).reference(between, in);
        shape = in.output_shape;
      }
      for (std::size_t n = 0; n < count; ++n)
        for (std::size_t k = 0; k < K; ++k) {
          const auto at = values.begin() + static_cast<std::ptrdiff_t>((n * K + k) * PH * PW);
          if (!std::all_of(at, at + static_cast<std::ptrdiff_t>(PH * PW),
                           [](float v) { return std::isfinite(v); }))
            return false;
          std::copy(at, at + static_cast<std::ptrdiff_t>(PH * PW),
                    features[k].begin() + static_cast<std::ptrdiff_t>((first + n) * PH * PW));
        }
    }
    return true;
  };
  // The few-channel engine runs on its own threads; deltas split the samples.
  if (engine != nullptr) return samples(0, samples_);
  return split_samples(samples_, scratch != nullptr ? scratch->threads_ : 1, samples);
}

bool DenseTail::covers(std::size_t layer) const {
  if (head_ && layer == head_->conv) return true;
  return network_ != nullptr && network_->layer(layer).op == "dense" &&
         std::find(chain_.begin(), chain_.end(), layer) != chain_.end();
}

std::size_t DenseTail::bytes_for(std::size_t samples) const {
  std::size_t floats = 0;
  for (const auto f : features_) floats += f * samples;
  if (head_) floats += head_->in_size * samples;
  if (head_deltas_)
    floats += static_cast<std::size_t>(head_->channels * head_->height * head_->width) * samples;
  return floats * sizeof(float) + samples;
}

void DenseTail::start(std::size_t samples) {
  samples_ = samples;
  activations_.assign(features_.size(), {});
  for (std::size_t k = 0; k < features_.size(); ++k) activations_[k].resize(features_[k] * samples);
  golden_correct_.assign(samples, 0);
  golden_correct_total_ = 0;
  if (head_) head_input_.assign(head_->in_size * samples, 0.0f);
  if (head_deltas_)
    head_output_.assign(
        static_cast<std::size_t>(head_->channels * head_->height * head_->width) * samples, 0.0f);
  else
    head_output_ = {};
}

void DenseTail::record_batch(InferenceEngine& engine, std::size_t first, std::size_t count,
                             std::span<const std::uint8_t> labels) {
  // Channel-major: [channel][sample][plane] (a tail layer's features: planes of one value).
  const auto record_channel_major = [&](std::size_t layer, LargeBuffer<float>& to,
                                        std::size_t channels, std::size_t per_sample) {
    const std::size_t plane = per_sample / channels;
    recording_.resize(count * per_sample);
    engine.layer_output_to(layer, recording_);
    for (std::size_t n = 0; n < count; ++n)
      for (std::size_t c = 0; c < channels; ++c)
        std::copy_n(recording_.begin() + static_cast<std::ptrdiff_t>(n * per_sample + c * plane),
                    plane,
                    to.begin() + static_cast<std::ptrdiff_t>((c * samples_ + first + n) * plane));
  };
  for (std::size_t k = 0; k < features_.size(); ++k) {
    const std::size_t layer =
        k < chain_.size() ? network_->inputs_of(chain_[k]).front() : chain_.back();
    record_channel_major(layer, activations_[k], features_[k], features_[k]);
  }
  if (head_)
    record_channel_major(network_->inputs_of(head_->conv).front(), head_input_,
                         static_cast<std::size_t>(head_->in_channels), head_->in_size);
  if (head_deltas_)
    record_channel_major(head_->conv, head_output_, static_cast<std::size_t>(head_->channels),
                         static_cast<std::size_t>(head_->channels * head_->height * head_->width));
  std::vector<float> row;
  for (std::size_t n = first; n < first + count; ++n) {
    golden_row(n, row);
    const bool correct = rank_of(row, labels[n]) == 0;
    golden_correct_[n] = correct ? 1 : 0;
    golden_correct_total_ += correct ? 1 : 0;
  }
}

void DenseTail::golden_row(std::size_t sample, std::vector<float>& row) const {
  const std::size_t classes = features_.back();
  row.resize(classes);
  for (std::size_t c = 0; c < classes; ++c) row[c] = activations_.back()[c * samples_ + sample];
}

std::optional<std::size_t> DenseTail::correct_with(std::span<const WeightChange> changes,
                                                   const CurrentWeights& current,
                                                   std::span<const std::uint8_t> labels,
                                                   std::vector<int>* predictions,
                                                   Scratch* scratch) const {
  const std::size_t classes = features_.back();
  std::vector<float> row(classes);
  if (predictions != nullptr) {
    predictions->resize(samples_);
    for (std::size_t n = 0; n < samples_; ++n) {
      golden_row(n, row);
      (*predictions)[n] = predicted_class(row);
    }
  }
  if (changes.empty()) return golden_correct_total_;
  const auto position = [&](std::size_t layer) {
    return static_cast<std::size_t>(std::find(chain_.begin(), chain_.end(), layer) -
                                    chain_.begin());
  };
  std::size_t first = chain_.size();
  std::vector<std::size_t> changed_channels;  // changed output channels of the head conv
  for (const auto& c : changes) {
    if (head_ && c.layer == head_->conv) {
      if (!std::isfinite(c.now)) return std::nullopt;  // the plain way applies the NaN policy
      const std::size_t per_channel =
          network_->layer(head_->conv).params.at("kernel").values.size() /
          static_cast<std::size_t>(head_->channels);
      changed_channels.push_back(c.bias ? c.index : c.index / per_channel);
      first = 0;
      continue;
    }
    first = std::min(first, position(c.layer));
  }
  if (first == chain_.size()) return std::nullopt;

  const std::size_t N = samples_;
  // The features entering the current position that differ from the recorded run, and
  // their new values [sample][changed feature].
  std::vector<std::size_t> cols;
  std::vector<float> vals;
  if (!changed_channels.empty()) {
    if (scratch == nullptr && !head_deltas_) return std::nullopt;
    std::sort(changed_channels.begin(), changed_channels.end());
    changed_channels.erase(std::unique(changed_channels.begin(), changed_channels.end()),
                           changed_channels.end());
    const std::size_t K = changed_channels.size();
    const Head& h = *head_;
    const auto pixels = static_cast<std::size_t>(h.height * h.width);
    if (head_deltas_) {
      // Multiply-adds per sample: deltas of the changed channels and the first dense
      // layer's update from their features, against the convolution and that layer.
      std::size_t taps = 0;
      for (const auto& c : changes) taps += c.layer == h.conv ? 1 : 0;
      const std::size_t pooled = static_cast<std::size_t>(h.pooled_height * h.pooled_width);
      const std::size_t deltas = (taps + K) * pixels + K * pooled * features_[1];
      const std::size_t restart = pixels * static_cast<std::size_t>(h.channels) *
                                      static_cast<std::size_t>(h.in_channels) *
                                      static_cast<std::size_t>(h.kernel_h * h.kernel_w) +
                                  features_[0] * features_[1];
      if (deltas * kRestartSpeedup > restart) return std::nullopt;
    } else if (K > kMaxChannels || K * 16 > static_cast<std::size_t>(h.channels)) {
      // One pass recomputes up to kMaxChannels channels, a share of the convolution; past
      // that, or a sixteenth of the channels, the caller's restart is cheaper.
      return std::nullopt;
    }
    const std::size_t per = static_cast<std::size_t>(head_->pooled_height * head_->pooled_width);
    std::vector<std::vector<float>> channel_features;
    if (!head_channels(changed_channels, changes, current, scratch, channel_features))
      return std::nullopt;

    for (const auto c : changed_channels)
      for (std::size_t f = 0; f < per; ++f) cols.push_back(c * per + f);
    vals.resize(N * cols.size());
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t k = 0; k < changed_channels.size(); ++k)
        std::copy_n(channel_features[k].begin() + static_cast<std::ptrdiff_t>(n * per), per,
                    vals.begin() + static_cast<std::ptrdiff_t>(n * cols.size() + k * per));
  }
  // Samples are taken in blocks: their rows of the new values stay in cache while the
  // recorded (feature-major) activations are read contiguously per feature.
  constexpr std::size_t kBlock = 64;
  const int threads = scratch != nullptr ? scratch->threads_ : 1;
  for (std::size_t k = first; k < chain_.size(); ++k) {
    const Layer& layer = network_->layer(chain_[k]);
    const std::size_t F_in = features_[k], F_out = features_[k + 1];
    const float* X = activations_[k].data();  // [F_in][N]
    if (layer.op == "dropout") continue;      // the identity at inference
    if (const auto* activation = activation_of(layer)) {
      activation->apply_all(layer, vals);
      if (!std::all_of(vals.begin(), vals.end(), [](float v) { return std::isfinite(v); }))
        return std::nullopt;
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
    const float* Y = activations_[k + 1].data();  // [F_out][N]
    const std::size_t C = cols.size(), R = rows.size();
    // Cost per sample, decided per layer: the delta update, or the whole layer when that is
    // cheaper -- here if the layer is small, else by the caller's restart (oneDNN's GEMM).
    if (R * C + terms.size() > F_in * F_out) {
      if (F_in * F_out > kLargestLayerRecomputed) return std::nullopt;
      const auto bias = current(chain_[k], true);
      std::vector<float> next(N * F_out);
      const bool finite = split_samples(N, threads, [&](std::size_t from, std::size_t to) {
        std::vector<float> x(F_in);
        for (std::size_t n = from; n < to; ++n) {
          for (std::size_t i = 0; i < F_in; ++i) x[i] = X[i * N + n];
          for (std::size_t c = 0; c < C; ++c) x[cols[c]] = vals[n * C + c];
          for (std::size_t j = 0; j < F_out; ++j) {
            double acc = bias.empty() ? 0.0 : static_cast<double>(bias[j]);
            const float* w = kernel.data() + j * F_in;
            for (std::size_t i = 0; i < F_in; ++i)
              acc += static_cast<double>(w[i]) * static_cast<double>(x[i]);
            const auto v = static_cast<float>(acc);
            if (!std::isfinite(v)) return false;
            next[n * F_out + j] = v;
          }
        }
        return true;
      });
      if (!finite) return std::nullopt;
      cols.resize(F_out);
      for (std::size_t j = 0; j < F_out; ++j) cols[j] = j;
      vals = std::move(next);
      continue;
    }
    std::vector<float> next(N * R);
    // W' over the changed inputs, [changed input][row]: contiguous for the loop below.
    std::vector<float> w_cols(C * R);
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t r = 0; r < R; ++r) w_cols[c * R + r] = kernel[rows[r] * F_in + cols[c]];
    // The change of each output, y' - y, summed in float (as the layer's own sums; its
    // rounding is relative to the change, not to y) and added to y in double.
    const bool finite = split_samples(N, threads, [&](std::size_t from, std::size_t to) {
      std::vector<float> change(kBlock * R);
      for (std::size_t n0 = from; n0 < to; n0 += kBlock) {
        const std::size_t B = std::min(kBlock, to - n0);
        std::fill(change.begin(), change.end(), 0.0f);
        // W'(x' - x) over the changed inputs (rows then hold every output).
        for (std::size_t c = 0; c < C; ++c) {
          const float* x = X + cols[c] * N + n0;
          const float* w = w_cols.data() + c * R;
          for (std::size_t b = 0; b < B; ++b) {
            const float dx = vals[(n0 + b) * C + c] - x[b];
            if (dx == 0.0f) continue;
            float* a = change.data() + b * R;
            for (std::size_t r = 0; r < R; ++r) a[r] += w[r] * dx;
          }
        }
        // (W' - W) x over this layer's changed weights: with W'(x' - x) above, y' - y.
        for (const auto& t : terms) {
          const float* x = X + t.input * N + n0;
          const auto delta = static_cast<float>(t.delta);
          for (std::size_t b = 0; b < B; ++b) change[b * R + t.row_slot] += delta * x[b];
        }
        for (std::size_t r = 0; r < R; ++r) {
          const float* y = Y + rows[r] * N + n0;
          for (std::size_t b = 0; b < B; ++b) {
            const auto v = static_cast<float>(static_cast<double>(y[b]) + bias_delta[r] +
                                              static_cast<double>(change[b * R + r]));
            if (!std::isfinite(v)) return false;
            next[(n0 + b) * R + r] = v;
          }
        }
      }
      return true;
    });
    if (!finite) return std::nullopt;
    cols = std::move(rows);
    vals = std::move(next);
  }

  // The logits: samples whose changed scores differ from the recorded ones are ranked again.
  std::size_t correct = golden_correct_total_;
  const std::size_t C = cols.size();
  const float* golden = activations_.back().data();  // [classes][N]
  for (std::size_t n = 0; n < N; ++n) {
    bool changed = false;
    for (std::size_t c = 0; c < C && !changed; ++c)
      changed = vals[n * C + c] != golden[cols[c] * N + n];
    if (!changed) continue;
    golden_row(n, row);
    for (std::size_t c = 0; c < C; ++c) row[cols[c]] = vals[n * C + c];
    const bool now = rank_of(row, labels[n]) == 0;
    correct = correct - golden_correct_[n] + (now ? 1 : 0);
    if (predictions != nullptr) (*predictions)[n] = predicted_class(row);
  }
  return correct;
}

}  // namespace weightfault::nn

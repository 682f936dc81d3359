// Incremental evaluation of a trial whose changed weights all lie in a network's dense
// tail: the chain of fully connected layers and element-wise activations that ends at the
// logits (e.g. flatten -> dense -> relu -> dense -> softmax) -- and, where one feeds it,
// the convolution before it (conv -> relu -> max pool -> flatten -> the tail). Most
// weights of many networks sit there, so most faults land there.
//
// A changed weight of that convolution changes one output channel. With the
// convolution's fault-free output recorded too (set_head_deltas, the default where the
// activation budget allows it), the channel is updated by deltas from the changed
// weights alone: y'[c] = y[c] + ΔW[c] ⊛ x, one input channel per changed weight, O(output
// pixels) each. Without it, the channel is recomputed from the recorded input (a
// few-channel oneDNN convolution, Scratch). Either way it is taken through the activation
// and pooling and enters the tail as the changed features it flattens to.
//
// A changed weight W[j][i] of a dense layer changes output feature j only, by
// (W'[j][i] - W[j][i]) * x[i]; an activation keeps the set of changed features; a dense
// layer fed by a few changed features updates every output from those features only:
// y' = y + W'(x' - x) + (W' - W)x. From the fault-free activations of every sample
// (recorded once per weight image, the same pass that records the resume cache), a trial
// costs O(samples x (changed weights + changed features x outputs)) instead of a full
// evaluation. The change y' - y is summed in float (its rounding is relative to the
// change, not to y) and added to the recorded y in double, so a result equals
// recomputation up to float rounding (tests/test_dense_tail.cpp measures how many
// predictions that can change). A non-finite value anywhere declines: the caller
// evaluates the plain way, which applies the NaN policy (docs/inference.md).
//
// Recordings are feature-major ([feature][sample]; the head's [channel][sample][plane]),
// so a changed feature's values over the samples are read contiguously; samples are taken
// in blocks, split over the scratch's threads (results do not depend on the split).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "common/large_buffer.h"
#include "nn/inference_engine.h"

namespace weightfault::nn {

class DenseTail {
 public:
  // The tail of `engine`'s network: the layers from the first dense layer with a flat
  // input after which only dense layers, element-wise activations and dropout follow, one
  // after another, up to the logits. Empty when there is none, or when the engine fuses
  // an activation into a tail layer (its pre-activation output is then not observable).
  static DenseTail plan(const InferenceEngine& engine);
  DenseTail() = default;

  bool empty() const { return chain_.empty(); }
  // Per worker (and network variant): the few-channel convolutions the head recomputes
  // channels with, built on first use. Holds no weights of its own, so one serves every
  // weight image of the same network.
  class Scratch {
   public:
    Scratch();
    ~Scratch();
    Scratch(Scratch&&) noexcept;
    Scratch& operator=(Scratch&&) noexcept;

   private:
    friend class DenseTail;
    int threads_ = 1;
    // [k]: a convolution of k + 1 output channels (one pass for up to kMaxChannels).
    std::vector<std::unique_ptr<Network>> networks_;
    std::vector<std::unique_ptr<InferenceEngine>> engines_;
  };
  // `threads`: threads of one incremental evaluation (and oneDNN threads of the head's
  // convolutions); results do not depend on it.
  Scratch make_scratch(int threads) const;
  // The tail's first (dense) layer.
  std::size_t first_layer() const { return chain_.front(); }
  // Whether `layer` is a dense layer of the tail or its convolution head (its weight changes
  // can be evaluated here).
  bool covers(std::size_t layer) const;
  // Whether a convolution head records its fault-free output as well (before start()):
  // changed channels are then updated by deltas instead of recomputed, at the cost of
  // that output's memory (bytes_for counts it). No effect without a head.
  void set_head_deltas(bool on) { head_deltas_ = on && head_.has_value(); }
  bool head_deltas() const { return head_deltas_; }
  // The recorded activations' size for `samples` samples.
  std::size_t bytes_for(std::size_t samples) const;

  // Recording, during one full evaluation with the golden weights: call start() before
  // it and record_batch() after each batch has run (samples [first, first + count)).
  void start(std::size_t samples);
  void record_batch(InferenceEngine& engine, std::size_t first, std::size_t count,
                    std::span<const std::uint8_t> labels);

  struct WeightChange {
    std::size_t layer = 0;  // a dense layer of the tail
    bool bias = false;      // else the kernel, [out][in]
    std::size_t index = 0;  // element of the kernel or bias
    float golden = 0.0f, now = 0.0f;
  };
  // The current kernel or bias of a tail dense layer (plain layout, golden plus changes).
  using CurrentWeights = std::function<std::span<const float>(std::size_t layer, bool bias)>;
  // Correct predictions over the recorded samples with `changes` applied; nullopt when a
  // value computed is not finite (evaluate the plain way then).
  // With `predictions`, also each sample's predicted class (-1: none, a NaN logit).
  // Changes in the convolution head need `scratch` (make_scratch) unless head_deltas(),
  // else nullopt.
  std::optional<std::size_t> correct_with(std::span<const WeightChange> changes,
                                          const CurrentWeights& current,
                                          std::span<const std::uint8_t> labels,
                                          std::vector<int>* predictions = nullptr,
                                          Scratch* scratch = nullptr) const;

 private:
  // The convolution feeding the tail, and the channel-wise layers between (activation,
  // max pool, dropout, flatten), if any.
  struct Head {
    std::size_t conv = 0;
    std::vector<std::size_t> between;  // in order, ending with the flatten
    std::size_t in_size = 0;           // the convolution's input per sample (C * H * W)
    std::int64_t channels = 0, height = 0, width = 0;  // its output
    std::int64_t pooled_height = 0, pooled_width = 0;  // per channel, entering the flatten
    std::int64_t in_channels = 0, in_height = 0, in_width = 0;
    std::int64_t kernel_h = 0, kernel_w = 0, stride_h = 1, stride_w = 1, pad_top = 0, pad_left = 0;
  };
  // The new first-dense-input features of output `channels` for every sample:
  // features[k][sample][feature]; `changes` holds the head convolution's changed weights.
  // False on a non-finite value.
  bool head_channels(const std::vector<std::size_t>& channels,
                     std::span<const WeightChange> changes, const CurrentWeights& current,
                     Scratch* scratch, std::vector<std::vector<float>>& features) const;
  // The convolution's output channels `channels` of samples [first, first + count) by
  // deltas from its recorded output: [count][K][H][W].
  std::vector<float> head_deltas_for(const std::vector<std::size_t>& channels,
                                     std::span<const WeightChange> changes, std::size_t first,
                                     std::size_t count) const;

  const Network* network_ = nullptr;
  std::optional<Head> head_;
  LargeBuffer<float> head_input_;  // [in channel][sample][plane]
  bool head_deltas_ = false;
  LargeBuffer<float> head_output_;     // with head_deltas_: [channel][sample][H][W]
  std::vector<float> recording_;       // one batch's output while recording
  std::vector<std::size_t> chain_;     // layers, in order; the last one outputs the logits
  std::vector<std::size_t> features_;  // per chain position: input features; then classes
  std::size_t samples_ = 0;
  // A sample's recorded logits.
  void golden_row(std::size_t sample, std::vector<float>& row) const;
  // Per chain position: its input for every sample, feature-major [features][samples];
  // last: the logits.
  std::vector<LargeBuffer<float>> activations_;
  std::vector<std::uint8_t> golden_correct_;  // per sample
  std::size_t golden_correct_total_ = 0;
};

}  // namespace weightfault::nn

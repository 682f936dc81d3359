// oneDNN inference of a Network (forward_inference, f32). Each layer's op builds
// its primitives (nn/op.h); this engine owns the memories, the steps and their order.
//
// Primitives are created once per (network, batch size) and reused for every
// batch. A parameter tensor an op asks for is kept twice: a plain-layout buffer
// (OIHW / OI, the layout faults are applied to) and the layout the primitive
// prefers (format_tag::any), refreshed by one prebuilt reorder, so replacing a
// layer's weights costs O(weights of that layer) and builds nothing.
//
// The engine's thread count is its own setting (OpenMP threads of the calling
// thread), so results never depend on how many trials run in parallel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nn/network.h"

namespace weightfault::nn {

// What a NaN in a hidden activation does (docs/inference.md). oneDNN's max-based
// kernels (ReLU, clip, max pooling) turn NaN into a number; IEEE arithmetic and
// PyTorch propagate it.
enum class NanPolicy {
  propagate,   // as IEEE / PyTorch: a NaN reaching a NaN-dropping layer makes the sample's
               // logits NaN (no prediction)
  flush_relu,  // as max-based ReLU hardware: those layers turn NaN into a number
};
std::optional<NanPolicy> parse_nan_policy(std::string_view name);
std::string_view nan_policy_name(NanPolicy policy);

struct EngineOptions {
  int threads = 1;               // OpenMP threads used by oneDNN for this engine
  std::size_t batch = 256;       // images per primitive execution
  bool fuse_activations = true;  // fold relu/clipped_relu/tanh into the conv/dense before them
  NanPolicy nan_policy = NanPolicy::propagate;
};

class InferenceEngine {
 public:
  // The network must outlive the engine (it is read, never written).
  InferenceEngine(const Network& network, EngineOptions options);
  ~InferenceEngine();
  InferenceEngine(const InferenceEngine&) = delete;
  InferenceEngine& operator=(const InferenceEngine&) = delete;

  const Network& network() const { return network_; }
  const EngineOptions& options() const { return options_; }
  std::size_t batch_size() const { return options_.batch; }
  std::size_t num_classes() const { return network_.num_classes(); }

  // Runs `count` (<= batch) images given as raw pixels [count][C][H][W];
  // writes class scores (pre-softmax logits) [count][classes] to `logits`.
  void infer(std::span<const std::uint8_t> pixels, std::size_t count, std::vector<float>& logits);
  // Same, with already normalized float inputs [count][C][H][W] (or [count][F]).
  void infer_normalized(std::span<const float> inputs, std::size_t count,
                        std::vector<float>& logits);

  // Replaces parameter tensor `role` of `layer` (plain layout, the size of the network's
  // tensor). The network's golden tensors are not touched.
  void set_param(std::size_t layer, const std::string& role, std::span<const float> values);
  // set_param of "kernel" and "bias" (conv2d, dense).
  void set_weights(std::size_t layer, std::span<const float> kernel, std::span<const float> bias);
  // Puts the network's own (golden) parameters of `layer` back.
  void restore_weights(std::size_t layer);

  // Incremental evaluation (nn/evaluation.h): a run may start at the stage of
  // a layer (its position in topological order) once the activations entering
  // that stage -- its boundary -- are loaded from a run with the same weights
  // before it. Running from a stage gives bit-identical results to a full run.
  std::size_t stage_of(std::size_t layer) const;
  std::size_t boundary_bytes(std::size_t stage) const;  // per batch
  void save_boundary(std::size_t stage, std::span<std::uint8_t> out) const;
  void load_boundary(std::size_t stage, std::span<const std::uint8_t> in);
  void load_inputs(std::span<const std::uint8_t> pixels, std::size_t count);
  // Float inputs, through the same normalization (value * scale + offset).
  void load_inputs(std::span<const float> values, std::size_t count);
  void run_from(std::size_t stage);
  void read_logits(std::size_t count, std::vector<float>& logits) const;

  // Whether `layer` (an activation) runs as a post-op of the conv/dense before it.
  bool fused_into_previous(std::size_t layer) const;

  // Output of `layer` for the last batch, plain layout [batch][C][H][W] or
  // [batch][F]. With fused activations a conv/dense reports its activated output.
  std::vector<float> layer_output(std::size_t layer);
  // The same, its first out.size() values written into `out`: reordered in place (no
  // allocation) when `out` holds the whole batch.
  void layer_output_to(std::size_t layer, std::span<float> out);

 private:
  struct Impl;
  const Network& network_;
  EngineOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weightfault::nn

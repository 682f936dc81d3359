// Training on oneDNN's forward-training and backward primitives: one fixed
// batch size, plain layouts (NCHW, OIHW, NC, OI) so parameters and gradients
// are ordinary float arrays an optimizer can walk.
//
// Supported ops: input, conv2d, dense, relu, clipped_relu, tanh, max_pool,
// avg_pool, global_avg_pool, batch_norm (batch statistics in training, moving
// averages updated), add, flatten, dropout (identity), and a final softmax
// (the loss is softmax cross-entropy on the logits that feed it).
//
// A weight transform (SAF, docs/protections.md) may make a layer's effective
// kernel f(raw): forward uses f(raw), and the kernel gradient is multiplied
// by f'(raw) so the raw weights are what the optimizer updates.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/weight_transform.h"
#include "nn/network.h"

namespace weightfault::nn {

// One trainable tensor: its values (what is stored) and the gradient of the
// mean batch loss with respect to them after backward().
struct TrainableTensor {
  std::size_t layer = 0;
  std::string role;  // "kernel", "bias", "gamma", "beta"
  std::span<float> values;
  std::span<const float> gradient;
  bool decays = false;  // weight decay applies (kernels only)
};

// f and f' of a weight transform, applied elementwise to a layer's kernel.
class TrainingEngine {
 public:
  // `network` must be finalized with unfolded batch norms and end in softmax or
  // logits. Throws InputError naming a layer it cannot train.
  TrainingEngine(const Network& network, std::size_t batch, int threads);
  ~TrainingEngine();
  TrainingEngine(const TrainingEngine&) = delete;
  TrainingEngine& operator=(const TrainingEngine&) = delete;

  std::size_t batch() const;
  // Effective kernel of `layer` = transform(raw) (nullptr: identity).
  void set_transform(std::size_t layer, const WeightTransform* transform);

  // Forward pass in training mode (batch statistics) on `inputs`
  // (batch x per-sample size, normalized). Returns the logits (batch x classes).
  std::span<const float> forward(std::span<const float> inputs);
  // Mean softmax cross-entropy of the last forward's logits against `labels`;
  // backward fills every TrainableTensor's gradient. Returns the loss.
  double backward(std::span<const std::int32_t> labels);
  // Loss of the last forward against labels without computing gradients.
  double loss(std::span<const std::int32_t> labels) const;

  std::vector<TrainableTensor>& trainables();
  // Copies the trained values (and batch-norm moving statistics) into `network`.
  void write_to(Network& network) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weightfault::nn

// One node of a network graph: an operation, its named inputs, its
// hyper-parameters and its weight tensors in the plain layouts documented in
// docs/model-format.md:
//   conv2d kernel  [O][I][KH][KW]  (OIHW)      dense kernel  [O][I]  (OI)
//   biases and batch-norm vectors  [C]
// Activations are per sample [C][H][W] (CHW) or flat [F].
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weightfault::nn {

enum class LayerOp {
  input,
  conv2d,
  dense,
  relu,
  clipped_relu,
  tanh,
  max_pool,
  avg_pool,
  global_avg_pool,
  batch_norm,
  add,
  flatten,
  softmax,
  dropout,
};

std::string_view to_string(LayerOp op);
std::optional<LayerOp> layer_op_from_string(std::string_view name);
const std::vector<std::string>& known_layer_op_names();

struct Tensor {
  std::vector<std::int64_t> dims;
  std::vector<float> values;  // row-major over dims

  std::size_t size() const { return values.size(); }
};

using Shape = std::vector<std::int64_t>;  // per sample: {C, H, W} or {F}

struct Layer {
  std::string name;
  LayerOp op = LayerOp::input;
  std::vector<std::string> inputs;

  Shape input_shape;                         // input: the per-sample shape
  std::int64_t units = 0;                    // conv2d: output channels; dense: outputs
  std::array<std::int64_t, 2> kernel{0, 0};  // conv2d and pools: KH, KW
  std::array<std::int64_t, 2> stride{1, 1};
  std::array<std::int64_t, 4> padding{0, 0, 0, 0};  // top, left, bottom, right
  float clip_max = 0.0f;                            // clipped_relu: upper bound (lower is 0)
  float clip_threshold =
      0.0f;               // relu: FT-ClipAct threshold from tune-clip (0 = none), used by clip_act
  float epsilon = 1e-3f;  // batch_norm
  // Weights by role: "kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance".
  std::map<std::string, Tensor> params;

  bool has_weights() const { return op == LayerOp::conv2d || op == LayerOp::dense; }
};

// The weight tensors a layer of this op must carry.
std::vector<std::string> required_params(LayerOp op);

}  // namespace weightfault::nn

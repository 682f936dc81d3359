// One node of a network graph: an op (by name, nn/op.h), its named inputs, its
// attributes and its parameter tensors in the plain layouts documented in
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

struct Tensor {
  std::vector<std::int64_t> dims;
  std::vector<float> values;  // row-major over dims

  std::size_t size() const { return values.size(); }
};

using Shape = std::vector<std::int64_t>;  // per sample: {C, H, W} or {F}

struct Layer {
  std::string name;
  std::string op = "input";  // the op's registered name (nn/op.h)
  std::vector<std::string> inputs;

  // Attributes; each op uses those it declares (nn/ops/<op>.cpp).
  Shape input_shape;                         // input: the per-sample shape
  std::int64_t units = 0;                    // conv2d: output channels; dense: outputs
  std::array<std::int64_t, 2> kernel{0, 0};  // conv2d and pools: KH, KW
  std::array<std::int64_t, 2> stride{1, 1};
  std::array<std::int64_t, 4> padding{0, 0, 0, 0};  // top, left, bottom, right
  float clip_max = 0.0f;                            // clipped_relu: upper bound (lower is 0)
  float clip_threshold =
      0.0f;               // relu: FT-ClipAct threshold from tune-clip (0 = none), used by clip_act
  float epsilon = 1e-3f;  // batch_norm
  // Further numeric attributes by name, for ops that need their own (leaky_relu: alpha).
  std::map<std::string, double> attributes;
  // Integer lists by name, for ops that need them (transpose: perm; slice: starts, ends).
  std::map<std::string, std::vector<std::int64_t>> lists;
  // Parameter tensors by role, as the op names them ("kernel", "bias", "gamma", ...).
  std::map<std::string, Tensor> params;

  // Whether its parameters are weights stored in fault-prone memory (the op says).
  bool has_weights() const;
};

}  // namespace weightfault::nn

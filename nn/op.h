// The op interface: everything a layer of the graph computes is an Op,
// registered by name (nn/op_registry.cpp, one line per op; one file per op in
// nn/ops/). An op owns its attributes in model files and model definitions,
// its shape rule, its parameter tensors, its oneDNN primitives for inference
// and training, and its plain-loop reference. The engines, the model file, the
// definitions and the reference walk the graph and ask each layer's op.
//
// Activations are per sample; their shape is the op's business ([C, H, W],
// [F], or sequences [T, D]). Ops may take any number of inputs and carry any
// number of parameter tensors (none, weights, constants).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "common/hdf5_file.h"
#include "nn/dnnl_util.h"
#include "nn/layer.h"

namespace weightfault::nn {

class Network;
struct DefinitionContext;  // nn/definition_context.h

// Builds the inference steps of one layer (implemented by the inference engine).
class InferenceBuilder {
 public:
  virtual ~InferenceBuilder() = default;
  virtual const Network& network() const = 0;
  virtual const dnnl::engine& engine() const = 0;
  virtual std::size_t batch() const = 0;
  // Post-ops of an activation fused into this layer (empty when none).
  virtual const dnnl::primitive_attr& attr() const = 0;
  // Output memory of input k of `layer`.
  virtual dnnl::memory input(std::size_t layer, std::size_t k) const = 0;
  virtual void set_output(std::size_t layer, const dnnl::memory& output) = 0;
  virtual void set_network_input(const dnnl::memory& input) = 0;
  virtual void add_step(const dnnl::primitive& primitive, Args args) = 0;
  // `mem` in layout `want` (a reorder step when it differs).
  virtual dnnl::memory as_layout(const dnnl::memory& mem, const dnnl::memory::desc& want) = 0;
  // A plain [batch][features] view of `mem` (reordered to plain first).
  virtual dnnl::memory as_flat(const dnnl::memory& mem, std::int64_t features) = 0;
  // Parameter `role` of `layer` as the primitive reads it (layout `preferred`); the engine
  // keeps a plain copy that set_param writes and reorders from.
  virtual dnnl::memory param(std::size_t layer, const std::string& role,
                             const dnnl::memory::desc& preferred) = 0;
  // The same, when the primitive sees the plain tensor with other dims (same bytes, e.g. a
  // grouped kernel [g, O/g, I/g, KH, KW] of a tensor stored as [O, I/g, KH, KW]).
  virtual dnnl::memory param(std::size_t layer, const std::string& role,
                             const dnnl::memory::desc& preferred,
                             const dnnl::memory::desc& plain) = 0;
};

// Builds the training steps of one layer (implemented by the training engine).
class TrainingBuilder {
 public:
  virtual ~TrainingBuilder() = default;
  virtual const Network& network() const = 0;
  virtual const dnnl::engine& engine() const = 0;
  virtual std::size_t batch() const = 0;
  virtual dnnl::memory input(std::size_t layer, std::size_t k) const = 0;  // plain
  virtual dnnl::memory output(std::size_t layer) const = 0;                // plain
  virtual dnnl::memory output_gradient(std::size_t layer) const = 0;       // d loss / d output
  virtual dnnl::memory input_gradient(std::size_t layer) const = 0;  // written by backward steps
  struct Param {
    dnnl::memory used;  // what the primitives read (f(raw) for a transformed kernel)
    dnnl::memory diff;  // what the backward primitive writes
  };
  // A trainable parameter; `decays`: weight decay applies.
  virtual Param param(std::size_t layer, const std::string& role, const dnnl::memory::desc& md,
                      bool decays) = 0;
  virtual void forward(const dnnl::primitive& primitive, Args args) = 0;
  virtual void backward(const dnnl::primitive& primitive, Args args) = 0;
  // Batch statistics of the last forward, folded into the layer's moving averages.
  virtual void track_statistics(std::size_t layer, const dnnl::memory& mean,
                                const dnnl::memory& variance) = 0;
};

// How the gradient of a layer's output reaches its inputs during training.
enum class GradientFlow {
  steps,           // the backward steps write input_gradient, added to input 0's
  to_input,        // passed unchanged to input 0 (flatten, dropout)
  to_every_input,  // passed unchanged to every input (add)
  none,            // nothing flows back (the input; a final softmax, whose logits the loss reads)
};

// What the plain-loop reference of one layer reads.
struct ReferenceInputs {
  std::vector<const std::vector<float>*> values;  // per input: [batch][per-sample volume]
  std::vector<Shape> shapes;                      // per input, per sample
  Shape output_shape;
  std::size_t batch = 0;
};

// oneDNN eltwise parameters of an activation: (algorithm, alpha, beta).
using Eltwise = std::tuple<dnnl::algorithm, float, float>;

class Op {
 public:
  virtual ~Op() = default;
  virtual std::string_view name() const = 0;

  // Parameter tensors a layer carries, by role, in storage order.
  virtual std::vector<std::string> param_roles() const { return {}; }
  // Whether the parameters are weights read from fault-prone memory (conv2d, dense, norms,
  // learned constants).
  virtual bool stores_params() const { return false; }
  // Whether an activation after it can run as its post-op (attr() of the builder).
  virtual bool fuses_activation() const { return false; }
  // Whether its oneDNN kernel turns a NaN input into a number (max-based ReLU, clip, max
  // pooling); under NanPolicy::propagate the engine checks its input (docs/inference.md).
  virtual bool drops_nan() const { return false; }
  // Per-sample output shape; checks attributes, input count and parameter shapes
  // (throws InputError via fail_layer).
  virtual Shape output_shape(const Layer& layer, std::span<const Shape* const> in) const = 0;

  // Model-file attributes (docs/model-format.md).
  virtual void write_attributes(const h5::Object& group, const Layer& layer) const {
    (void)group, (void)layer;
  }
  virtual void read_attributes(const h5::Object& group, Layer& layer) const {
    (void)group, (void)layer;
  }
  // Model definitions ([[layer]] tables, docs/training.md): reads the op's keys, makes the
  // initial parameters and returns the output shape.
  virtual Shape define(DefinitionContext& ctx) const;

  // An activation that can run as a post-op of the conv/dense before it.
  virtual std::optional<Eltwise> post_op(const Layer& layer) const {
    (void)layer;
    return std::nullopt;
  }
  virtual void build_inference(InferenceBuilder& b, std::size_t layer) const = 0;
  virtual void build_training(TrainingBuilder& b, std::size_t layer) const;  // default: refuses
  virtual GradientFlow gradient_flow() const { return GradientFlow::steps; }
  // Plain loops straight from the definition, in plain layouts; the tests' oracle.
  virtual std::vector<float> reference(const Layer& layer, const ReferenceInputs& in) const = 0;
};

// The op named `name`; throws InputError listing the known ops.
const Op& op_named(std::string_view name);
const Op* find_op(std::string_view name);
// Every op name, in registry order.
const std::vector<std::string>& known_layer_op_names();
// The op of a layer.
inline const Op& op_of(const Layer& layer) {
  return op_named(layer.op);
}

// "layer 'x' (op): what" as an InputError.
[[noreturn]] void fail_layer(const Layer& layer, const std::string& what);
// Checks that input count is n.
void need_inputs(const Layer& layer, std::span<const Shape* const> in, std::size_t n);
// Checks a parameter tensor's presence, dims and value count.
void expect_param_dims(const Layer& layer, const std::string& role,
                       const std::vector<std::int64_t>& dims);

}  // namespace weightfault::nn

#include "nn/onnx_import.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <set>

#include "common/input_error.h"
#include "nn/onnx_constant_folding.h"
#include "nn/op.h"

namespace weightfault::nn {
namespace {

// Per-sample activation: the layer that computes it and its shape without the batch axis.
struct Activation {
  std::string layer;
  Shape shape;
};

std::int64_t volume(const std::vector<std::int64_t>& dims) {
  std::int64_t v = 1;
  for (auto d : dims) v *= d;
  return v;
}

std::string sanitized(std::string name) {
  std::replace(name.begin(), name.end(), '/', '.');
  while (!name.empty() && name.front() == '.') name.erase(name.begin());
  return name.empty() ? std::string("node") : name;
}

class Importer {
 public:
  Importer(const std::filesystem::path& path, const OnnxImportOptions& options)
      : path_(path), options_(options) {}

  Network run() {
    read_model();
    const auto& graph = model_.graph();
    for (const auto& init : graph.initializer()) {
      try {
        constants_[init.name()] = to_constant(init);
      } catch (const std::invalid_argument& e) {
        throw InputError(fmt::format("{}: initializer {}", path_.string(), e.what()));
      }
    }
    for (const auto& [name, value] : options_.constant_inputs) constants_[name] = value;
    for (const auto& node : graph.node()) {
      for (const auto& in : node.input()) ++uses_[in];
    }
    for (const auto& out : graph.output()) ++uses_[out.name()];
    add_input();
    for (const auto& node : graph.node()) import_node(node);
    finish_output();
    net_.name = options_.name.empty() ? path_.stem().string() : options_.name;
    net_.source = path_.string();
    net_.normalization = options_.normalization;
    net_.finalize();
    return std::move(net_);
  }

 private:
  void read_model() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) throw InputError(fmt::format("{}: file not found", path_.string()));
    if (!model_.ParseFromIstream(&in))
      throw InputError(
          fmt::format("{}: not an ONNX model (protobuf parse failed)", path_.string()));
    for (const auto& opset : model_.opset_import()) {
      if (opset.domain().empty() || opset.domain() == "ai.onnx")
        opset_ = static_cast<int>(opset.version());
    }
  }

  // --- values -----------------------------------------------------------------------------
  bool is_constant(const std::string& name) const { return constants_.count(name) > 0; }
  bool is_activation(const std::string& name) const { return activations_.count(name) > 0; }

  const OnnxConstant& constant_input(const onnx::NodeProto& node, int k) const {
    if (k >= node.input_size() || !is_constant(node.input(k)))
      unsupported(node, fmt::format("input {} must be a constant (an initializer)", k));
    return constants_.at(node.input(k));
  }
  const Activation& activation_input(const onnx::NodeProto& node, int k) const {
    if (k >= node.input_size() || !is_activation(node.input(k)))
      unsupported(node, fmt::format("input {} must be computed from the network input", k));
    return activations_.at(node.input(k));
  }
  bool has_input(const onnx::NodeProto& node, int k) const {
    return k < node.input_size() && !node.input(k).empty();
  }

  [[noreturn]] void unsupported(const onnx::NodeProto& node, const std::string& why) const {
    throw InputError(
        fmt::format("{}: node '{}' ({}, opset {}): {} (supported: {})", path_.string(),
                    node.name().empty() && node.output_size() > 0 ? node.output(0) : node.name(),
                    node.op_type(), opset_, why, fmt::join(supported_onnx_ops(), ", ")));
  }

  // --- attributes -------------------------------------------------------------------------
  const onnx::AttributeProto* attribute(const onnx::NodeProto& node,
                                        const std::string& name) const {
    for (const auto& a : node.attribute()) {
      if (a.name() == name) return &a;
    }
    return nullptr;
  }
  std::int64_t attr_int(const onnx::NodeProto& node, const std::string& name,
                        std::int64_t fallback) const {
    const auto* a = attribute(node, name);
    return a ? a->i() : fallback;
  }
  float attr_float(const onnx::NodeProto& node, const std::string& name, float fallback) const {
    const auto* a = attribute(node, name);
    return a ? a->f() : fallback;
  }
  std::vector<std::int64_t> attr_ints(const onnx::NodeProto& node, const std::string& name) const {
    const auto* a = attribute(node, name);
    if (a == nullptr) return {};
    return {a->ints().begin(), a->ints().end()};
  }
  std::string attr_string(const onnx::NodeProto& node, const std::string& name,
                          const std::string& fallback) const {
    const auto* a = attribute(node, name);
    return a ? a->s() : fallback;
  }

  // --- layers -----------------------------------------------------------------------------
  std::string unique_name(const onnx::NodeProto& node) {
    std::string base = sanitized(node.name().empty() ? node.output(0) : node.name());
    std::string name = base;
    for (int k = 2; used_names_.count(name); ++k) name = fmt::format("{}_{}", base, k);
    used_names_.insert(name);
    return name;
  }

  // Adds `layer` computing `output` (per-sample shape from the op's rule).
  void add_layer(Layer layer, const std::string& output) {
    std::vector<Shape> shapes;
    for (const auto& in : layer.inputs) shapes.push_back(shape_of_layer_.at(in));
    std::vector<const Shape*> pointers;
    for (const auto& s : shapes) pointers.push_back(&s);
    const Shape shape = op_named(layer.op).output_shape(layer, pointers);
    shape_of_layer_[layer.name] = shape;
    activations_[output] = {layer.name, shape};
    net_.add_layer(std::move(layer));
  }

  Layer make_layer(const onnx::NodeProto& node, const std::string& op,
                   std::vector<std::string> inputs) {
    Layer layer;
    layer.name = unique_name(node);
    layer.op = op;
    layer.inputs = std::move(inputs);
    return layer;
  }

  void alias(const onnx::NodeProto& node, const Activation& a) { activations_[node.output(0)] = a; }

  void add_input() {
    const auto& graph = model_.graph();
    const onnx::ValueInfoProto* input = nullptr;
    std::vector<std::string> names;
    for (const auto& in : graph.input()) {
      if (is_constant(in.name())) continue;
      names.push_back(in.name());
      input = &in;
    }
    if (names.size() != 1) {
      throw InputError(fmt::format(
          "{}: the graph has {} non-constant inputs ({}); weightfault networks take one",
          path_.string(), names.size(), fmt::join(names, ", ")));
    }
    Shape shape;
    if (options_.input_shape) {
      shape = *options_.input_shape;
    } else {
      const auto& dims = input->type().tensor_type().shape().dim();
      for (int d = 1; d < dims.size(); ++d) {
        if (!dims[d].has_dim_value() || dims[d].dim_value() <= 0) {
          throw InputError(
              fmt::format("{}: input '{}' has no static size on axis {}; give --input-shape",
                          path_.string(), input->name(), d));
        }
        shape.push_back(dims[d].dim_value());
      }
    }
    const auto& norm = options_.normalization;
    if (norm.mean.size() != norm.std.size() ||
        (!norm.mean.empty() && static_cast<std::int64_t>(norm.mean.size()) != shape.at(0))) {
      throw InputError(fmt::format(
          "{}: --input-mean and --input-std need one value per input channel ({}); got {} and {}",
          path_.string(), shape.at(0), norm.mean.size(), norm.std.size()));
    }
    for (const float s : norm.std) {
      if (!(s > 0.0f))
        throw InputError(fmt::format("{}: --input-std must be positive", path_.string()));
    }
    Layer layer;
    layer.name = sanitized(input->name());
    used_names_.insert(layer.name);
    layer.op = "input";
    layer.input_shape = shape;
    shape_of_layer_[layer.name] = shape;
    activations_[input->name()] = {layer.name, shape};
    net_.add_layer(std::move(layer));
  }

  void finish_output() {
    const auto& graph = model_.graph();
    if (graph.output_size() < 1)
      throw InputError(fmt::format("{}: no graph output", path_.string()));
    const auto& out = graph.output(0).name();
    if (!is_activation(out))
      throw InputError(
          fmt::format("{}: output '{}' does not depend on the input", path_.string(), out));
    Activation a = activations_.at(out);
    // Layers no path reaches the output from would be second outputs: weightfault
    // networks have one. Scores are flat: a non-flat output is flattened.
    if (a.shape.size() != 1) {
      Layer flat;
      flat.name = a.layer + "_flat";
      flat.op = "flatten";
      flat.inputs = {a.layer};
      add_layer(std::move(flat), out + "#flat");
    }
  }

  // --- nodes ------------------------------------------------------------------------------
  void import_node(const onnx::NodeProto& node) {
    if (!node.domain().empty() && node.domain() != "ai.onnx")
      unsupported(node, fmt::format("domain '{}' is not supported", node.domain()));
    if (try_fold(node)) return;
    const auto& op = node.op_type();
    using Handler = void (Importer::*)(const onnx::NodeProto&);
    static const std::map<std::string, Handler> handlers{
        {"Conv", &Importer::conv},
        {"Gemm", &Importer::gemm},
        {"MatMul", &Importer::matmul},
        {"Add", &Importer::add},
        {"Relu", &Importer::activation},
        {"Tanh", &Importer::activation},
        {"Sigmoid", &Importer::activation},
        {"LeakyRelu", &Importer::activation},
        {"HardSwish", &Importer::activation},
        {"Clip", &Importer::clip},
        {"MaxPool", &Importer::pool},
        {"AveragePool", &Importer::pool},
        {"GlobalAveragePool", &Importer::global_pool},
        {"BatchNormalization", &Importer::batch_norm},
        {"Flatten", &Importer::flatten},
        {"Reshape", &Importer::reshape},
        {"Softmax", &Importer::softmax},
        {"Dropout", &Importer::pass_through},
        {"Identity", &Importer::pass_through},
    };
    const auto it = handlers.find(op);
    if (it == handlers.end()) unsupported(node, "this op type is not supported");
    (this->*(it->second))(node);
  }

  // Shape arithmetic and constants: evaluated now when every input is known.
  bool try_fold(const onnx::NodeProto& node) {
    if (node.op_type() == "Constant") {
      const auto* value = attribute(node, "value");
      if (value == nullptr || !value->has_t())
        unsupported(node, "only Constant with a tensor 'value' is supported");
      try {
        constants_[node.output(0)] = to_constant(value->t());
      } catch (const std::invalid_argument& e) {
        unsupported(node, e.what());
      }
      return true;
    }
    if (node.op_type() == "Shape" && node.input_size() == 1 && is_activation(node.input(0))) {
      OnnxConstant shape;
      shape.is_float = false;
      shape.values.push_back(1.0);  // the batch axis, evaluated with a batch of 1
      for (auto d : activations_.at(node.input(0)).shape)
        shape.values.push_back(static_cast<double>(d));
      shape.dims = {static_cast<std::int64_t>(shape.values.size())};
      constants_[node.output(0)] = shape;
      return true;
    }
    std::vector<const OnnxConstant*> inputs;
    for (int k = 0; k < node.input_size(); ++k) {
      if (node.input(k).empty()) {
        inputs.push_back(nullptr);
        continue;
      }
      if (!is_constant(node.input(k))) return false;
      inputs.push_back(&constants_.at(node.input(k)));
    }
    if (!is_foldable(node.op_type())) return false;
    try {
      const auto outputs = fold_constant(node, inputs, opset_);
      for (int k = 0; k < node.output_size() && k < static_cast<int>(outputs.size()); ++k)
        constants_[node.output(k)] = outputs[static_cast<std::size_t>(k)];
    } catch (const std::invalid_argument& e) {
      unsupported(node, e.what());
    }
    return true;
  }

  // auto_pad and pads of a 2-D window as (top, left, bottom, right).
  std::array<std::int64_t, 4> window_pads(const onnx::NodeProto& node, const Shape& in,
                                          const std::array<std::int64_t, 2>& kernel,
                                          const std::array<std::int64_t, 2>& stride) const {
    const std::string auto_pad = attr_string(node, "auto_pad", "NOTSET");
    std::array<std::int64_t, 4> pads{0, 0, 0, 0};
    if (auto_pad == "NOTSET") {
      const auto p = attr_ints(node, "pads");
      if (!p.empty()) {
        if (p.size() != 4) unsupported(node, "only 2-D windows are supported");
        pads = {p[0], p[1], p[2], p[3]};
      }
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      for (int d = 0; d < 2; ++d) {
        const auto size = in[static_cast<std::size_t>(d) + 1];
        const auto out = (size + stride[d] - 1) / stride[d];
        const auto total = std::max<std::int64_t>((out - 1) * stride[d] + kernel[d] - size, 0);
        const auto small = total / 2, large = total - total / 2;
        pads[d] = auto_pad == "SAME_UPPER" ? small : large;
        pads[d + 2] = auto_pad == "SAME_UPPER" ? large : small;
      }
    } else if (auto_pad != "VALID") {
      unsupported(node, fmt::format("auto_pad '{}' is not supported", auto_pad));
    }
    return pads;
  }

  std::array<std::int64_t, 2> pair_attribute(const onnx::NodeProto& node, const std::string& name,
                                             std::int64_t fallback) const {
    const auto v = attr_ints(node, name);
    if (v.empty()) return {fallback, fallback};
    if (v.size() != 2) unsupported(node, "only 2-D windows are supported");
    return {v[0], v[1]};
  }

  void conv(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    const auto& w = constant_input(node, 1);
    if (w.dims.size() != 4 || x.shape.size() != 3)
      unsupported(node, "only 2-D convolutions are supported");
    Layer layer = make_layer(node, "conv2d", {x.layer});
    if (const auto g = attr_int(node, "group", 1); g != 1)
      layer.attributes["groups"] = static_cast<double>(g);
    std::array<std::int64_t, 2> dilation{1, 1};
    if (const auto d = attr_ints(node, "dilations"); !d.empty()) {
      if (d.size() != 2) unsupported(node, "only 2-D convolutions are supported");
      dilation = {d[0], d[1]};
      layer.attributes["dilation_h"] = static_cast<double>(d[0]);
      layer.attributes["dilation_w"] = static_cast<double>(d[1]);
    }
    layer.units = w.dims[0];
    layer.kernel = {w.dims[2], w.dims[3]};
    layer.stride = pair_attribute(node, "strides", 1);
    // 'SAME' padding covers the dilated extent of the kernel.
    const std::array<std::int64_t, 2> extent{(layer.kernel[0] - 1) * dilation[0] + 1,
                                             (layer.kernel[1] - 1) * dilation[1] + 1};
    layer.padding = window_pads(node, x.shape, extent, layer.stride);
    layer.params["kernel"] = float_tensor(w, w.dims);
    layer.params["bias"] =
        has_input(node, 2)
            ? float_tensor(constant_input(node, 2), {w.dims[0]})
            : Tensor{{w.dims[0]}, std::vector<float>(static_cast<std::size_t>(w.dims[0]), 0.0f)};
    add_layer(std::move(layer), node.output(0));
  }

  // A dense layer for A (per-sample [K]) times a constant matrix, kernel [O][K].
  void dense(const onnx::NodeProto& node, const Activation& a, std::vector<float> kernel,
             std::int64_t outputs, std::vector<float> bias) {
    if (a.shape.size() != 1) unsupported(node, "the activation input must be flat ([N, K])");
    Layer layer = make_layer(node, "dense", {a.layer});
    layer.units = outputs;
    layer.params["kernel"] = Tensor{{outputs, a.shape[0]}, std::move(kernel)};
    layer.params["bias"] = Tensor{{outputs}, std::move(bias)};
    add_layer(std::move(layer), node.output(0));
  }

  void gemm(const onnx::NodeProto& node) {
    const auto& a = activation_input(node, 0);
    const auto& b = constant_input(node, 1);
    if (attr_int(node, "transA", 0) != 0) unsupported(node, "transA = 1 is not supported");
    const bool trans_b = attr_int(node, "transB", 0) != 0;
    const float alpha = attr_float(node, "alpha", 1.0f), beta = attr_float(node, "beta", 1.0f);
    if (b.dims.size() != 2) unsupported(node, "B must be a matrix");
    const std::int64_t k = trans_b ? b.dims[1] : b.dims[0], m = trans_b ? b.dims[0] : b.dims[1];
    std::vector<float> kernel(static_cast<std::size_t>(m * k));
    for (std::int64_t o = 0; o < m; ++o)
      for (std::int64_t i = 0; i < k; ++i)
        kernel[static_cast<std::size_t>(o * k + i)] = static_cast<float>(
            alpha * b.values[static_cast<std::size_t>(trans_b ? o * k + i : i * m + o)]);
    std::vector<float> bias(static_cast<std::size_t>(m), 0.0f);
    if (has_input(node, 2)) {
      const auto& c = constant_input(node, 2);
      const auto n = volume(c.dims);
      if (n != 1 && n != m) unsupported(node, "a bias C that varies per sample is not supported");
      for (std::int64_t o = 0; o < m; ++o)
        bias[static_cast<std::size_t>(o)] =
            static_cast<float>(beta * c.values[static_cast<std::size_t>(n == 1 ? 0 : o)]);
    }
    dense(node, a, std::move(kernel), m, std::move(bias));
  }

  void matmul(const onnx::NodeProto& node) {
    const auto& a = activation_input(node, 0);
    const auto& b = constant_input(node, 1);
    if (b.dims.size() != 2)
      unsupported(node, "only a 2-D constant right-hand side is supported yet");
    const std::int64_t k = b.dims[0], m = b.dims[1];
    std::vector<float> kernel(static_cast<std::size_t>(m * k));
    for (std::int64_t o = 0; o < m; ++o)
      for (std::int64_t i = 0; i < k; ++i)
        kernel[static_cast<std::size_t>(o * k + i)] =
            static_cast<float>(b.values[static_cast<std::size_t>(i * m + o)]);
    dense(node, a, std::move(kernel), m, std::vector<float>(static_cast<std::size_t>(m), 0.0f));
  }

  void add(const onnx::NodeProto& node) {
    if (node.input_size() == 2 && is_activation(node.input(0)) && is_activation(node.input(1))) {
      const auto& a = activation_input(node, 0);
      const auto& b = activation_input(node, 1);
      add_layer(make_layer(node, "add", {a.layer, b.layer}), node.output(0));
      return;
    }
    // A constant added to a conv/dense output with no other use is that layer's bias.
    const int act = is_activation(node.input(0)) ? 0 : 1;
    const auto& a = activation_input(node, act);
    const auto& c = constant_input(node, 1 - act);
    Layer* layer = nullptr;
    for (std::size_t i = 0; i < net_.size(); ++i) {
      if (net_.layer(i).name == a.layer) layer = &net_.mutable_layer(i);
    }
    if (layer == nullptr || !layer->has_weights() || uses_[node.input(act)] != 1)
      unsupported(node, "adding a constant is supported as the bias of a conv/dense only, yet");
    auto& bias = layer->params.at("bias").values;
    const auto n = volume(c.dims);
    if (n != 1 && n != static_cast<std::int64_t>(bias.size()))
      unsupported(node, "the constant does not broadcast over the channels");
    for (std::size_t o = 0; o < bias.size(); ++o)
      bias[o] = static_cast<float>(bias[o] + c.values[n == 1 ? 0 : o]);
    alias(node, a);
  }

  void activation(const onnx::NodeProto& node) {
    static const std::map<std::string, std::string> ops{{"Relu", "relu"},
                                                        {"Tanh", "tanh"},
                                                        {"Sigmoid", "sigmoid"},
                                                        {"LeakyRelu", "leaky_relu"},
                                                        {"HardSwish", "hard_swish"}};
    const auto& x = activation_input(node, 0);
    Layer layer = make_layer(node, ops.at(node.op_type()), {x.layer});
    if (node.op_type() == "LeakyRelu") layer.attributes["alpha"] = attr_float(node, "alpha", 0.01f);
    add_layer(std::move(layer), node.output(0));
  }

  void clip(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    double lo = -std::numeric_limits<double>::infinity(),
           hi = std::numeric_limits<double>::infinity();
    if (opset_ < 11) {
      lo = attr_float(node, "min", -std::numeric_limits<float>::infinity());
      hi = attr_float(node, "max", std::numeric_limits<float>::infinity());
    } else {
      if (has_input(node, 1)) lo = constant_input(node, 1).values.at(0);
      if (has_input(node, 2)) hi = constant_input(node, 2).values.at(0);
    }
    if (lo != 0.0) unsupported(node, "only Clip with min = 0 (a clipped ReLU) is supported yet");
    Layer layer = make_layer(node, std::isfinite(hi) ? "clipped_relu" : "relu", {x.layer});
    if (std::isfinite(hi)) layer.clip_max = static_cast<float>(hi);
    add_layer(std::move(layer), node.output(0));
  }

  void pool(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    if (x.shape.size() != 3) unsupported(node, "only 2-D pooling is supported");
    if (node.output_size() > 1) unsupported(node, "the indices output is not supported");
    if (attr_int(node, "ceil_mode", 0) != 0)
      unsupported(node, "ceil_mode = 1 is not supported yet");
    for (auto d : attr_ints(node, "dilations")) {
      if (d != 1) unsupported(node, "dilated pooling is not supported");
    }
    const bool is_max = node.op_type() == "MaxPool";
    Layer layer = make_layer(node, is_max ? "max_pool" : "avg_pool", {x.layer});
    layer.kernel = pair_attribute(node, "kernel_shape", 1);
    layer.stride = pair_attribute(node, "strides", 1);
    layer.padding = window_pads(node, x.shape, layer.kernel, layer.stride);
    const bool padded = std::any_of(layer.padding.begin(), layer.padding.end(),
                                    [](std::int64_t p) { return p != 0; });
    if (!is_max && padded && attr_int(node, "count_include_pad", 0) != 0)
      unsupported(node, "count_include_pad = 1 with padding is not supported");
    add_layer(std::move(layer), node.output(0));
  }

  void global_pool(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    // The [N, C, 1, 1] result is kept as per-sample [C]; a Flatten or Reshape after it is a no-op.
    add_layer(make_layer(node, "global_avg_pool", {x.layer}), node.output(0));
  }

  void batch_norm(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    if (attr_int(node, "training_mode", 0) != 0 || node.output_size() > 1)
      unsupported(node, "training mode is not supported");
    Layer layer = make_layer(node, "batch_norm", {x.layer});
    layer.epsilon = attr_float(node, "epsilon", 1e-5f);
    const std::int64_t channels = x.shape.at(0);
    const char* roles[] = {"gamma", "beta", "moving_mean", "moving_variance"};
    for (int k = 0; k < 4; ++k)
      layer.params[roles[k]] = float_tensor(constant_input(node, k + 1), {channels});
    add_layer(std::move(layer), node.output(0));
  }

  void flatten_to(const onnx::NodeProto& node, const Activation& x) {
    if (x.shape.size() == 1) {
      alias(node, x);
      return;
    }
    add_layer(make_layer(node, "flatten", {x.layer}), node.output(0));
  }

  void flatten(const onnx::NodeProto& node) {
    const auto axis = attr_int(node, "axis", 1);
    if (axis != 1) unsupported(node, "only axis = 1 (keep the batch axis) is supported");
    flatten_to(node, activation_input(node, 0));
  }

  void reshape(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    const auto& target = constant_input(node, 1);
    std::vector<std::int64_t> full{1};
    full.insert(full.end(), x.shape.begin(), x.shape.end());
    std::vector<std::int64_t> out;
    std::int64_t known = 1;
    int infer = -1;
    for (std::size_t d = 0; d < target.values.size(); ++d) {
      auto v = static_cast<std::int64_t>(target.values[d]);
      if (v == 0 && attr_int(node, "allowzero", 0) == 0) v = d < full.size() ? full[d] : 0;
      if (v == -1) {
        infer = static_cast<int>(d);
        v = 1;
      } else {
        known *= v;
      }
      out.push_back(v);
    }
    if (infer >= 0) out[static_cast<std::size_t>(infer)] = known ? volume(full) / known : 0;
    if (volume(out) != volume(full)) unsupported(node, "the target shape does not hold the input");
    if (out.empty() || out[0] != 1)
      unsupported(node, "a reshape across the batch axis is not supported");
    const Shape per_sample(out.begin() + 1, out.end());
    if (per_sample == x.shape) {
      alias(node, x);
    } else if (per_sample.size() == 1) {
      flatten_to(node, x);
    } else {
      unsupported(node, fmt::format("reshaping {} to {} is not supported yet",
                                    shape_to_string(x.shape), shape_to_string(per_sample)));
    }
  }

  void softmax(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    const auto rank = static_cast<std::int64_t>(x.shape.size()) + 1;  // with the batch axis
    auto axis = attr_int(node, "axis", opset_ < 13 ? 1 : -1);
    if (axis < 0) axis += rank;
    // Before opset 13 the input is coerced to 2-D at `axis`: one softmax over every axis from
    // it on, which is the per-axis softmax only when that is the last axis.
    if (axis < 1 || axis >= rank || (opset_ < 13 && axis != rank - 1))
      unsupported(node, "softmax over the batch axis, or over several axes, is not supported");
    Layer layer = make_layer(node, "softmax", {x.layer});
    if (axis != rank - 1) layer.attributes["axis"] = static_cast<double>(axis - 1);
    add_layer(std::move(layer), node.output(0));
  }

  void pass_through(const onnx::NodeProto& node) {
    if (node.op_type() == "Dropout" && has_input(node, 2) &&
        constant_input(node, 2).values.at(0) != 0.0)
      unsupported(node, "training-mode Dropout is not supported");
    for (int k = 1; k < node.output_size(); ++k) {
      if (!node.output(k).empty() && uses_[node.output(k)] > 0)
        unsupported(node, "only the first output is supported");
    }
    alias(node, activation_input(node, 0));
  }

  Tensor float_tensor(const OnnxConstant& c, std::vector<std::int64_t> dims) const {
    if (volume(c.dims) != volume(dims))
      throw InputError(fmt::format("{}: a tensor of shape [{}] where [{}] is needed",
                                   path_.string(), fmt::join(c.dims, ", "), fmt::join(dims, ", ")));
    Tensor t{std::move(dims), std::vector<float>(c.values.size())};
    for (std::size_t k = 0; k < c.values.size(); ++k) t.values[k] = static_cast<float>(c.values[k]);
    return t;
  }

  std::filesystem::path path_;
  const OnnxImportOptions& options_;
  onnx::ModelProto model_;
  int opset_ = 1;
  std::map<std::string, OnnxConstant> constants_;
  std::map<std::string, Activation> activations_;
  std::map<std::string, int> uses_;
  std::map<std::string, Shape> shape_of_layer_;
  std::set<std::string> used_names_;
  Network net_;
};

}  // namespace

const std::vector<std::string>& supported_onnx_ops() {
  static const std::vector<std::string> ops = [] {
    std::vector<std::string> out{"Add",
                                 "AveragePool",
                                 "BatchNormalization",
                                 "Clip",
                                 "Constant",
                                 "Conv",
                                 "Dropout",
                                 "Flatten",
                                 "Gemm",
                                 "GlobalAveragePool",
                                 "HardSwish",
                                 "Identity",
                                 "LeakyRelu",
                                 "MatMul",
                                 "MaxPool",
                                 "Relu",
                                 "Reshape",
                                 "Shape",
                                 "Sigmoid",
                                 "Softmax",
                                 "Tanh"};
    for (const auto& op : foldable_onnx_ops())
      if (std::find(out.begin(), out.end(), op) == out.end()) out.push_back(op + " (constant)");
    return out;
  }();
  return ops;
}

Network import_onnx(const std::filesystem::path& path, const OnnxImportOptions& options) {
  return Importer(path, options).run();
}

OnnxConstant read_onnx_tensor(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: file not found", path.string()));
  onnx::TensorProto t;
  if (!t.ParseFromIstream(&in))
    throw InputError(fmt::format("{}: not an ONNX TensorProto", path.string()));
  try {
    return to_constant(t);
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: {}", path.string(), e.what()));
  }
}

}  // namespace weightfault::nn

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
        constants_[init.name()].origin = init.name();
      } catch (const std::invalid_argument& e) {
        throw InputError(fmt::format("{}: initializer {}", path_.string(), e.what()));
      }
    }
    for (const auto& [name, value] : options_.constant_inputs) constants_[name] = value;
    for (const auto& node : graph.node()) {
      for (const auto& in : node.input()) {
        ++uses_[in];
        consumers_[in].push_back(&node);
      }
    }
    // One output per network: the graph's first (further graph outputs are not computed).
    if (graph.output_size() > 0) ++uses_[graph.output(0).name()];
    add_input();
    // Constant nodes first: a pattern (GELU) looks at constants of nodes after it.
    for (const auto& node : graph.node()) {
      if (node.op_type() == "Constant") try_fold(node);
    }
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
    if (const auto type = input->type().tensor_type().elem_type();
        type != onnx::TensorProto::FLOAT && type != onnx::TensorProto::UINT8) {
      throw InputError(fmt::format(
          "{}: input '{}' has element type {} ({}); weightfault computes in float32 and takes "
          "float or uint8 inputs",
          path_.string(), input->name(), onnx::TensorProto::DataType_Name(type), type));
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
    net_input_ = layer.name;
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
    if (consumed_.count(&node)) return;  // part of a pattern imported as one layer
    if (try_fold(node)) return;
    const auto& op = node.op_type();
    using Handler = void (Importer::*)(const onnx::NodeProto&);
    static const std::map<std::string, Handler> handlers{
        {"Conv", &Importer::conv},
        {"Gemm", &Importer::gemm},
        {"MatMul", &Importer::matmul},
        {"Add", &Importer::binary},
        {"Sub", &Importer::binary},
        {"Mul", &Importer::binary},
        {"Div", &Importer::binary},
        {"Pow", &Importer::power},
        {"Sqrt", &Importer::activation},
        {"Erf", &Importer::erf},
        {"HardSigmoid", &Importer::activation},
        {"LayerNormalization", &Importer::layer_norm},
        {"ReduceMean", &Importer::reduce_mean},
        {"Transpose", &Importer::transpose},
        {"Concat", &Importer::concat},
        {"Split", &Importer::split},
        {"Slice", &Importer::slice},
        {"Gather", &Importer::gather},
        {"Squeeze", &Importer::squeeze},
        {"Unsqueeze", &Importer::squeeze},
        {"Expand", &Importer::expand},
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
    if (node.op_type() == "Shape" && node.input_size() == 1) {
      std::vector<std::int64_t> dims;
      if (is_activation(node.input(0))) {
        dims.push_back(1);  // the batch axis, evaluated with a batch of 1
        const auto& s = activations_.at(node.input(0)).shape;
        dims.insert(dims.end(), s.begin(), s.end());
      } else if (is_constant(node.input(0))) {
        dims = constants_.at(node.input(0)).dims;
      } else {
        return false;
      }
      // Opset 15: the axes [start, end) only.
      const auto rank = static_cast<std::int64_t>(dims.size());
      const auto bound = [&](std::int64_t v) {
        return std::clamp<std::int64_t>(v < 0 ? v + rank : v, 0, rank);
      };
      const auto start = bound(attr_int(node, "start", 0)),
                 end = bound(attr_int(node, "end", rank));
      OnnxConstant shape;
      shape.is_float = false;
      for (auto d = start; d < end; ++d)
        shape.values.push_back(static_cast<double>(dims[static_cast<std::size_t>(d)]));
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
      auto outputs = fold_constant(node, inputs, opset_);
      // Ops that only rearrange or repeat values keep the name of the initializer.
      static const std::set<std::string> keeps_values{
          "Identity", "Expand", "Reshape", "Unsqueeze", "Squeeze", "Transpose", "Cast", "Flatten"};
      if (keeps_values.count(node.op_type()) && !outputs.empty() && inputs.at(0) != nullptr)
        outputs[0].origin = inputs[0]->origin;
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
    Layer layer = make_layer(node, "dense", {a.layer});
    layer.units = outputs;
    layer.params["kernel"] = Tensor{{outputs, a.shape.back()}, std::move(kernel)};
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
    if (is_activation(node.input(0)) && is_constant(node.input(1)) &&
        constant_input(node, 1).dims.size() == 2) {
      // Activation times a weight matrix [K, M]: a dense layer over the last axis.
      const auto& a = activation_input(node, 0);
      const auto& b = constant_input(node, 1);
      const std::int64_t k = b.dims[0], m = b.dims[1];
      if (a.shape.back() != k) unsupported(node, "inner dimensions differ");
      std::vector<float> kernel(static_cast<std::size_t>(m * k));
      for (std::int64_t o = 0; o < m; ++o)
        for (std::int64_t i = 0; i < k; ++i)
          kernel[static_cast<std::size_t>(o * k + i)] =
              static_cast<float>(b.values[static_cast<std::size_t>(i * m + o)]);
      dense(node, a, std::move(kernel), m, std::vector<float>(static_cast<std::size_t>(m), 0.0f));
      return;
    }
    const Activation a = operand(node, 0), b = operand(node, 1);
    if (a.shape.size() < 2 || b.shape.size() < 2)
      unsupported(node, "a product of vectors (rank-1 per sample) is not supported");
    add_layer(make_layer(node, "matmul", {a.layer, b.layer}), node.output(0));
  }

  // Input k as an activation: a constant becomes a parameter layer (stored weights).
  Activation operand(const onnx::NodeProto& node, int k) {
    if (is_activation(node.input(k))) return activations_.at(node.input(k));
    const auto& c = constant_input(node, k);
    if (!c.is_float) unsupported(node, fmt::format("input {} is an integer constant", k));
    std::size_t rank = 0;  // of the activations it meets
    for (int j = 0; j < node.input_size(); ++j) {
      if (is_activation(node.input(j)))
        rank = std::max(rank, activations_.at(node.input(j)).shape.size());
    }
    return parameter(node, node.input(k), per_sample_dims(node, c.dims, rank));
  }

  // A constant's dims without the batch axis, next to activations of per-sample rank
  // `rank` ([N, ...rank axes]): leading axes of 1 at or above the full rank are the batch axis.
  Shape per_sample_dims(const onnx::NodeProto& node, const std::vector<std::int64_t>& dims,
                        std::size_t rank) {
    Shape out = dims;
    while (out.size() > 1 && out.size() > rank) {
      if (out.front() != 1) unsupported(node, "a constant that varies over the batch axis");
      out.erase(out.begin());
    }
    if (out.empty()) out.push_back(1);
    return out;
  }

  Activation parameter(const onnx::NodeProto& node, const std::string& constant, Shape dims) {
    const auto key = constant + "#" + shape_to_string(dims);
    if (const auto it = parameters_.find(key); it != parameters_.end()) return it->second;
    const auto& c = constants_.at(constant);
    Layer layer;
    std::string base = sanitized(c.origin.empty() ? constant : c.origin);
    layer.name = base;
    for (int k = 2; used_names_.count(layer.name); ++k) layer.name = fmt::format("{}_{}", base, k);
    used_names_.insert(layer.name);
    layer.op = "parameter";
    layer.inputs = {net_input_};
    layer.params["value"] = float_tensor(c, dims);
    (void)node;
    add_layer(std::move(layer), key);
    return parameters_[key] = activations_.at(key);
  }

  void binary(const onnx::NodeProto& node) {
    static const std::map<std::string, std::string> ops{
        {"Add", "add"}, {"Sub", "sub"}, {"Mul", "mul"}, {"Div", "div"}};
    const auto& op = node.op_type();
    if (node.input_size() != 2) unsupported(node, "needs two inputs");
    if (is_activation(node.input(0)) && is_activation(node.input(1))) {
      add_layer(make_layer(node, ops.at(op),
                           {activation_input(node, 0).layer, activation_input(node, 1).layer}),
                node.output(0));
      return;
    }
    const int act = is_activation(node.input(0)) ? 0 : 1;
    const Activation a = activation_input(node, act);
    const auto& c = constant_input(node, 1 - act);
    if (volume(c.dims) == 1 && c.dims.size() <= a.shape.size() + 1) {
      const double v = c.values.at(0);
      if (op == "Div" && act == 0 && try_gelu(node, a, v)) return;
      double scale = 1.0, shift = 0.0;
      if (op == "Add") shift = v;
      if (op == "Sub") (act == 0 ? shift = -v : (scale = -1.0, shift = v));
      if (op == "Mul") scale = v;
      if (op == "Div") {
        if (act != 0) unsupported(node, "dividing a constant by an activation is not supported");
        scale = 1.0 / v;
      }
      Layer layer = make_layer(node, "affine", {a.layer});
      layer.attributes["scale"] = scale;
      layer.attributes["shift"] = shift;
      add_layer(std::move(layer), node.output(0));
      return;
    }
    if (op == "Add" && add_to_bias(node, a, c)) return;
    const Activation k = operand(node, 1 - act);
    add_layer(make_layer(node, ops.at(op),
                         act == 0 ? std::vector{a.layer, k.layer} : std::vector{k.layer, a.layer}),
              node.output(0));
  }

  // A constant added to a conv/dense output with no other use, constant per output channel
  // (conv: [C, 1, 1]) or feature (dense: [..., 1, F]), is that layer's bias.
  bool add_to_bias(const onnx::NodeProto& node, const Activation& a, const OnnxConstant& c) {
    Layer* layer = nullptr;
    for (std::size_t i = 0; i < net_.size(); ++i) {
      if (net_.layer(i).name == a.layer) layer = &net_.mutable_layer(i);
    }
    if (layer == nullptr || (layer->op != "conv2d" && layer->op != "dense") ||
        uses_[node.input(is_activation(node.input(0)) ? 0 : 1)] != 1)
      return false;
    auto& bias = layer->params.at("bias").values;
    const Shape dims = per_sample_dims(node, c.dims, a.shape.size());
    const auto n = static_cast<std::size_t>(volume(dims));
    if (n != bias.size() || dims.size() > a.shape.size()) return false;
    // The axis the values vary along must be the channel (conv) or the last axis (dense).
    const std::size_t axis = layer->op == "conv2d" ? a.shape.size() - 3 : a.shape.size() - 1;
    const std::size_t along = a.shape.size() - dims.size();  // dims aligned at the right
    for (std::size_t d = 0; d < dims.size(); ++d) {
      if (dims[d] != 1 && d + along != axis) return false;
    }
    for (std::size_t o = 0; o < bias.size(); ++o)
      bias[o] = static_cast<float>(bias[o] + c.values[o]);
    alias(node, a);
    return true;
  }

  // The only consumer of `output`, when it has op type `op`.
  const onnx::NodeProto* sole_consumer(const std::string& output, const std::string& op) const {
    const auto it = consumers_.find(output);
    if (it == consumers_.end() || it->second.size() != 1 || it->second[0]->op_type() != op ||
        uses_.at(output) != 1)
      return nullptr;
    return it->second[0];
  }
  bool is_scalar(const onnx::NodeProto& node, int k, double value) const {
    if (k >= node.input_size() || !is_constant(node.input(k))) return false;
    const auto& c = constants_.at(node.input(k));
    return volume(c.dims) == 1 && std::abs(c.values.at(0) - value) <= 1e-6 * std::abs(value);
  }

  // PyTorch's exact GELU: Div(x, sqrt 2) -> Erf -> Add 1 -> Mul x -> Mul 0.5, as one layer.
  bool try_gelu(const onnx::NodeProto& div, const Activation& x, double divisor) {
    if (std::abs(divisor - std::sqrt(2.0)) > 1e-6) return false;
    const auto* erf = sole_consumer(div.output(0), "Erf");
    const auto* plus = erf ? sole_consumer(erf->output(0), "Add") : nullptr;
    if (!plus || !(is_scalar(*plus, 0, 1.0) || is_scalar(*plus, 1, 1.0))) return false;
    const auto* times = sole_consumer(plus->output(0), "Mul");
    if (!times || (times->input(0) != div.input(0) && times->input(1) != div.input(0)))
      return false;
    const auto* half = sole_consumer(times->output(0), "Mul");
    if (!half || !(is_scalar(*half, 0, 0.5) || is_scalar(*half, 1, 0.5))) return false;
    consumed_.insert({erf, plus, times, half});
    Layer layer = make_layer(div, "gelu", {x.layer});
    layer.name = sanitized(fmt::format("{}.gelu", layer.name));
    used_names_.insert(layer.name);
    add_layer(std::move(layer), half->output(0));
    return true;
  }

  void erf(const onnx::NodeProto& node) {
    unsupported(node,
                "Erf is supported as part of the GELU pattern PyTorch exports "
                "(Div by sqrt 2, Erf, Add 1, Mul by x, Mul by 0.5)");
  }

  void power(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    const auto& e = constant_input(node, 1);
    if (volume(e.dims) != 1) unsupported(node, "only a scalar constant exponent is supported");
    Layer layer = make_layer(node, "pow", {x.layer});
    layer.attributes["exponent"] = e.values.at(0);
    add_layer(std::move(layer), node.output(0));
  }

  void activation(const onnx::NodeProto& node) {
    static const std::map<std::string, std::string> ops{{"Relu", "relu"},
                                                        {"Tanh", "tanh"},
                                                        {"Sigmoid", "sigmoid"},
                                                        {"LeakyRelu", "leaky_relu"},
                                                        {"HardSwish", "hard_swish"},
                                                        {"Sqrt", "sqrt"},
                                                        {"HardSigmoid", "hard_sigmoid"}};
    const auto& x = activation_input(node, 0);
    Layer layer = make_layer(node, ops.at(node.op_type()), {x.layer});
    if (node.op_type() == "LeakyRelu") layer.attributes["alpha"] = attr_float(node, "alpha", 0.01f);
    if (node.op_type() == "HardSigmoid") {
      layer.attributes["alpha"] = attr_float(node, "alpha", 0.2f);
      layer.attributes["beta"] = attr_float(node, "beta", 0.5f);
    }
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
    if (attr_int(node, "ceil_mode", 0) != 0) {
      // Rounding the output size up: the last window may run past the end, so the bottom and
      // right padding grow by what it needs (padding never counts: max ignores it, the
      // average excludes it). A window that would start in the end padding is dropped.
      for (std::size_t d = 0; d < 2; ++d) {
        const auto size = x.shape[d + 1] + layer.padding[d] + layer.padding[d + 2];
        auto out = (size - layer.kernel[d] + layer.stride[d] - 1) / layer.stride[d] + 1;
        if ((out - 1) * layer.stride[d] >= x.shape[d + 1] + layer.padding[d]) --out;
        layer.padding[d + 2] +=
            std::max<std::int64_t>((out - 1) * layer.stride[d] + layer.kernel[d] - size, 0);
      }
    }
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
    reshape_to(node, x, per_sample);
  }

  void reshape_to(const onnx::NodeProto& node, const Activation& x, const Shape& per_sample) {
    if (per_sample == x.shape) {
      alias(node, x);
    } else if (per_sample.size() == 1) {
      flatten_to(node, x);
    } else {
      Layer layer = make_layer(node, "reshape", {x.layer});
      layer.lists["shape"] = per_sample;
      add_layer(std::move(layer), node.output(0));
    }
  }

  // An ONNX axis of a tensor [N, ...per-sample rank] as a per-sample axis.
  std::int64_t sample_axis(const onnx::NodeProto& node, std::int64_t axis, std::size_t rank) const {
    const auto full = static_cast<std::int64_t>(rank) + 1;
    if (axis < -full || axis >= full)
      unsupported(node, fmt::format("axis {} outside the input's {} axes", axis, full));
    if (axis < 0) axis += full;
    if (axis == 0) unsupported(node, "an operation along the batch axis is not supported");
    return axis - 1;
  }

  // Integer list from attribute `name` (before `input_opset`) or input k (from it on).
  std::optional<std::vector<std::int64_t>> ints_from(const onnx::NodeProto& node,
                                                     const std::string& name, int k,
                                                     int input_opset) const {
    if (opset_ >= input_opset) {
      if (!has_input(node, k)) return std::nullopt;
      std::vector<std::int64_t> out;
      for (const double v : constant_input(node, k).values)
        out.push_back(static_cast<std::int64_t>(v));
      return out;
    }
    if (attribute(node, name) == nullptr) return std::nullopt;
    return attr_ints(node, name);
  }

  void transpose(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    auto perm = attr_ints(node, "perm");
    if (perm.empty())
      for (std::size_t d = x.shape.size() + 1; d-- > 0;)
        perm.push_back(static_cast<std::int64_t>(d));
    if (perm.size() != x.shape.size() + 1 || perm[0] != 0)
      unsupported(node, "a permutation that moves the batch axis is not supported");
    std::vector<std::int64_t> per_sample;
    bool identity = true;
    for (std::size_t d = 1; d < perm.size(); ++d) {
      per_sample.push_back(perm[d] - 1);
      identity = identity && perm[d] == static_cast<std::int64_t>(d);
    }
    if (identity) {
      alias(node, x);
      return;
    }
    Layer layer = make_layer(node, "transpose", {x.layer});
    layer.lists["perm"] = per_sample;
    add_layer(std::move(layer), node.output(0));
  }

  void concat(const onnx::NodeProto& node) {
    std::size_t rank = 0;
    for (int k = 0; k < node.input_size(); ++k) {
      if (is_activation(node.input(k))) rank = activations_.at(node.input(k)).shape.size();
    }
    const auto axis = sample_axis(node, attr_int(node, "axis", 0), rank);
    std::vector<std::string> inputs;
    for (int k = 0; k < node.input_size(); ++k) inputs.push_back(operand(node, k).layer);
    if (inputs.size() == 1) {
      alias(node, activation_input(node, 0));
      return;
    }
    Layer layer = make_layer(node, "concat", inputs);
    layer.attributes["axis"] = static_cast<double>(axis);
    add_layer(std::move(layer), node.output(0));
  }

  // A box of x (per-sample starts/ends) computing `output`.
  void add_slice(const onnx::NodeProto& node, const Activation& x, std::vector<std::int64_t> starts,
                 std::vector<std::int64_t> ends, const std::string& output,
                 const std::string& name) {
    if (Shape(starts.size(), 0) == starts && ends == x.shape) {
      activations_[output] = x;
      return;
    }
    Layer layer;
    layer.name = name.empty() ? unique_name(node) : name;
    used_names_.insert(layer.name);
    layer.op = "slice";
    layer.inputs = {x.layer};
    layer.lists["starts"] = std::move(starts);
    layer.lists["ends"] = std::move(ends);
    add_layer(std::move(layer), output);
  }

  void split(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    const auto axis =
        static_cast<std::size_t>(sample_axis(node, attr_int(node, "axis", 0), x.shape.size()));
    auto sizes = ints_from(node, "split", 1, 13).value_or(std::vector<std::int64_t>{});
    const auto parts = static_cast<std::int64_t>(node.output_size());
    if (sizes.empty()) {
      const auto each = (x.shape[axis] + parts - 1) / parts;  // the last part may be smaller
      for (std::int64_t k = 0; k < parts; ++k)
        sizes.push_back(std::min(each, x.shape[axis] - k * each));
    }
    if (static_cast<std::int64_t>(sizes.size()) != parts)
      unsupported(node, "the split sizes do not match the outputs");
    std::int64_t at = 0;
    const std::string base = unique_name(node);
    for (std::int64_t k = 0; k < parts; ++k) {
      std::vector<std::int64_t> starts(x.shape.size(), 0), ends = x.shape;
      starts[axis] = at;
      ends[axis] = at += sizes[static_cast<std::size_t>(k)];
      if (at > x.shape[axis] || sizes[static_cast<std::size_t>(k)] < 1)
        unsupported(node, "the split sizes do not fit the axis");
      const auto& output = node.output(static_cast<int>(k));
      if (uses_[output] == 0) continue;  // a part nothing reads
      add_slice(node, x, starts, ends, output, fmt::format("{}_{}", base, k));
    }
  }

  void slice(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    const auto starts = ints_from(node, "starts", 1, 10);
    const auto ends = ints_from(node, "ends", 2, 10);
    if (!starts || !ends || starts->size() != ends->size())
      unsupported(node, "needs starts and ends of the same length");
    auto axes = ints_from(node, "axes", 3, 10).value_or(std::vector<std::int64_t>{});
    if (axes.empty())
      for (std::size_t d = 0; d < starts->size(); ++d) axes.push_back(static_cast<std::int64_t>(d));
    const auto steps = ints_from(node, "steps", 4, 10).value_or(std::vector<std::int64_t>{});
    for (const auto step : steps) {
      if (step != 1) unsupported(node, "only steps of 1 are supported");
    }
    std::vector<std::int64_t> box_start(x.shape.size(), 0), box_end = x.shape;
    const auto full = static_cast<std::int64_t>(x.shape.size()) + 1;
    for (std::size_t k = 0; k < axes.size(); ++k) {
      const auto a = axes[k] < 0 ? axes[k] + full : axes[k];
      if (a == 0) {
        if ((*starts)[k] > 0 || (*ends)[k] < std::numeric_limits<std::int32_t>::max())
          unsupported(node, "slicing the batch axis is not supported");
        continue;
      }
      const auto d = static_cast<std::size_t>(sample_axis(node, a, x.shape.size()));
      const auto clamp = [&](std::int64_t v) {
        if (v < 0) v += x.shape[d];
        return std::clamp<std::int64_t>(v, 0, x.shape[d]);
      };
      box_start[d] = clamp((*starts)[k]);
      box_end[d] = clamp((*ends)[k]);
      if (box_end[d] <= box_start[d]) unsupported(node, "an empty slice is not supported");
    }
    add_slice(node, x, box_start, box_end, node.output(0), "");
  }

  void gather(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    const auto& indices = constant_input(node, 1);
    const auto axis = sample_axis(node, attr_int(node, "axis", 0), x.shape.size());
    if (indices.dims.size() > 1) unsupported(node, "indices of rank 2 or more are not supported");
    Layer layer = make_layer(node, "gather", {x.layer});
    layer.attributes["axis"] = static_cast<double>(axis);
    if (indices.dims.empty()) layer.attributes["scalar"] = 1;
    auto& list = layer.lists["indices"];
    for (const double v : indices.values) {
      auto k = static_cast<std::int64_t>(v);
      list.push_back(k < 0 ? k + x.shape[static_cast<std::size_t>(axis)] : k);
    }
    add_layer(std::move(layer), node.output(0));
  }

  void squeeze(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    const auto axes = ints_from(node, "axes", 1, 13).value_or(std::vector<std::int64_t>{});
    Shape full{1};
    full.insert(full.end(), x.shape.begin(), x.shape.end());
    Shape out;
    if (node.op_type() == "Unsqueeze") {
      const auto rank = static_cast<std::int64_t>(full.size() + axes.size());
      std::vector<std::int64_t> at;
      for (const auto a : axes) at.push_back(a < 0 ? a + rank : a);
      std::sort(at.begin(), at.end());
      out = full;
      for (const auto a : at) {
        if (a == 0) unsupported(node, "a new axis before the batch axis is not supported");
        out.insert(out.begin() + std::min<std::int64_t>(a, static_cast<std::int64_t>(out.size())),
                   1);
      }
    } else {
      const auto rank = static_cast<std::int64_t>(full.size());
      for (std::int64_t d = 0; d < rank; ++d) {
        const bool listed = axes.empty() ? (d > 0 && full[static_cast<std::size_t>(d)] == 1)
                                         : std::any_of(axes.begin(), axes.end(), [&](auto a) {
                                             return (a < 0 ? a + rank : a) == d;
                                           });
        if (listed && d == 0) unsupported(node, "removing the batch axis is not supported");
        if (!listed) out.push_back(full[static_cast<std::size_t>(d)]);
      }
    }
    reshape_to(node, x, Shape(out.begin() + 1, out.end()));
  }

  void expand(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    const auto& target = constant_input(node, 1);
    Shape full{1};
    full.insert(full.end(), x.shape.begin(), x.shape.end());
    // Only an expand that leaves the shape as it is (numpy rules) is supported.
    if (target.values.size() > full.size())
      unsupported(node, "an Expand that adds axes to an activation is not supported");
    for (std::size_t d = 0; d < target.values.size(); ++d) {
      const auto v = static_cast<std::int64_t>(target.values[d]);
      const auto have = full[full.size() - target.values.size() + d];
      if (v != 1 && v != have)
        unsupported(node, "an Expand that repeats an activation is not supported");
    }
    alias(node, x);
  }

  void layer_norm(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    const auto axis =
        static_cast<std::size_t>(sample_axis(node, attr_int(node, "axis", -1), x.shape.size()));
    for (int k = 1; k < node.output_size(); ++k) {
      if (!node.output(k).empty() && uses_[node.output(k)] > 0)
        unsupported(node, "the Mean and InvStdDev outputs are not supported");
    }
    // Normalizing over the axes from `axis` on: rows of their product (a reshape around the
    // layer norm when that is more than the last axis).
    Shape rows(x.shape.begin(), x.shape.begin() + static_cast<std::ptrdiff_t>(axis));
    rows.push_back(
        volume(Shape(x.shape.begin() + static_cast<std::ptrdiff_t>(axis), x.shape.end())));
    Activation in = x;
    if (rows != x.shape) {
      Layer flat = make_layer(node, "reshape", {x.layer});
      flat.name = sanitized(flat.name + ".rows");
      used_names_.insert(flat.name);
      flat.lists["shape"] = rows;
      add_layer(std::move(flat), node.output(0) + "#rows");
      in = activations_.at(node.output(0) + "#rows");
    }
    Layer layer = make_layer(node, "layer_norm", {in.layer});
    layer.epsilon = attr_float(node, "epsilon", 1e-5f);
    const Shape d{rows.back()};
    layer.params["gamma"] = float_tensor(constant_input(node, 1), d);
    layer.params["beta"] =
        has_input(node, 2) ? float_tensor(constant_input(node, 2), d)
                           : Tensor{d, std::vector<float>(static_cast<std::size_t>(d[0]), 0.0f)};
    const std::string name = layer.name;
    if (rows == x.shape) {
      add_layer(std::move(layer), node.output(0));
      return;
    }
    add_layer(std::move(layer), node.output(0) + "#normalized");
    Layer back = make_layer(node, "reshape", {name});
    back.name = sanitized(name + ".shape");
    used_names_.insert(back.name);
    back.lists["shape"] = x.shape;
    add_layer(std::move(back), node.output(0));
  }

  void reduce_mean(const onnx::NodeProto& node) {
    const auto& x = activation_input(node, 0);
    auto axes = ints_from(node, "axes", 1, 18).value_or(std::vector<std::int64_t>{});
    if (axes.empty()) {
      if (attr_int(node, "noop_with_empty_axes", 0) != 0) {
        alias(node, x);
        return;
      }
      unsupported(node, "a mean over every axis (with the batch axis) is not supported");
    }
    Layer layer = make_layer(node, "reduce_mean", {x.layer});
    auto& list = layer.lists["axes"];
    for (const auto a : axes) list.push_back(sample_axis(node, a, x.shape.size()));
    std::sort(list.begin(), list.end());
    layer.attributes["keepdims"] = static_cast<double>(attr_int(node, "keepdims", 1));
    add_layer(std::move(layer), node.output(0));
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
  std::map<std::string, std::vector<const onnx::NodeProto*>> consumers_;
  std::set<const onnx::NodeProto*> consumed_;
  std::map<std::string, Activation> parameters_;  // constant name -> its parameter layer
  std::map<std::string, Shape> shape_of_layer_;
  std::set<std::string> used_names_;
  std::string net_input_;  // the input layer's name
  Network net_;
};

}  // namespace

const std::vector<std::string>& supported_onnx_ops() {
  static const std::vector<std::string> ops = [] {
    std::vector<std::string> out{"Add",
                                 "AveragePool",
                                 "BatchNormalization",
                                 "Clip",
                                 "Concat",
                                 "Constant",
                                 "Conv",
                                 "Div",
                                 "Dropout",
                                 "Erf (GELU pattern)",
                                 "Expand",
                                 "Flatten",
                                 "Gather",
                                 "Gemm",
                                 "GlobalAveragePool",
                                 "HardSigmoid",
                                 "HardSwish",
                                 "Identity",
                                 "LayerNormalization",
                                 "LeakyRelu",
                                 "MatMul",
                                 "MaxPool",
                                 "Mul",
                                 "Pow",
                                 "ReduceMean",
                                 "Relu",
                                 "Reshape",
                                 "Shape",
                                 "Sigmoid",
                                 "Slice",
                                 "Softmax",
                                 "Split",
                                 "Sqrt",
                                 "Squeeze",
                                 "Sub",
                                 "Tanh",
                                 "Transpose",
                                 "Unsqueeze"};
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

#include "nn/network.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/graph/exception.hpp>
#include <boost/graph/topological_sort.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>

#include "common/input_error.h"

namespace weightfault::nn {
namespace {

[[noreturn]] void fail(const Layer& layer, const std::string& what) {
  throw InputError(fmt::format("layer '{}' ({}): {}", layer.name, to_string(layer.op), what));
}

void expect_dims(const Layer& layer, const std::string& param,
                 const std::vector<std::int64_t>& want) {
  const auto it = layer.params.find(param);
  if (it == layer.params.end()) fail(layer, fmt::format("missing weight tensor '{}'", param));
  const Tensor& t = it->second;
  if (t.dims != want) {
    fail(layer, fmt::format("weight '{}' has shape [{}], expected [{}]", param,
                            fmt::join(t.dims, ", "), fmt::join(want, ", ")));
  }
  std::size_t count = 1;
  for (auto d : t.dims) count *= static_cast<std::size_t>(d);
  if (count != t.values.size()) {
    fail(layer, fmt::format("weight '{}' holds {} values for shape [{}]", param, t.values.size(),
                            fmt::join(t.dims, ", ")));
  }
}

std::int64_t pooled(const Layer& layer, std::int64_t in, int axis) {
  const auto k = layer.kernel[static_cast<std::size_t>(axis)];
  const auto s = layer.stride[static_cast<std::size_t>(axis)];
  const auto pad = layer.padding[static_cast<std::size_t>(axis)] +
                   layer.padding[static_cast<std::size_t>(axis) + 2];
  if (k <= 0 || s <= 0) fail(layer, "kernel and stride must be positive");
  const auto span = in + pad - k;
  if (span < 0) fail(layer, fmt::format("kernel {} larger than padded input {}", k, in + pad));
  return span / s + 1;
}

Shape infer_shape(const Layer& layer, const std::vector<const Shape*>& in) {
  const auto need_inputs = [&](std::size_t n) {
    if (in.size() != n) fail(layer, fmt::format("takes {} input(s), has {}", n, in.size()));
  };
  const auto need_spatial = [&](const Shape& s) {
    if (s.size() != 3)
      fail(layer, fmt::format("needs a [C, H, W] input, got {}", shape_to_string(s)));
  };
  switch (layer.op) {
    case LayerOp::input:
      need_inputs(0);
      if (layer.input_shape.size() != 3 && layer.input_shape.size() != 1) {
        fail(layer, "input shape must be [C, H, W] or [F]");
      }
      return layer.input_shape;
    case LayerOp::conv2d: {
      need_inputs(1);
      const Shape& s = *in[0];
      need_spatial(s);
      expect_dims(layer, "kernel", {layer.units, s[0], layer.kernel[0], layer.kernel[1]});
      expect_dims(layer, "bias", {layer.units});
      return {layer.units, pooled(layer, s[1], 0), pooled(layer, s[2], 1)};
    }
    case LayerOp::dense: {
      need_inputs(1);
      const Shape& s = *in[0];
      if (s.size() != 1) fail(layer, fmt::format("needs a flat input, got {}", shape_to_string(s)));
      expect_dims(layer, "kernel", {layer.units, s[0]});
      expect_dims(layer, "bias", {layer.units});
      return {layer.units};
    }
    case LayerOp::max_pool:
    case LayerOp::avg_pool: {
      need_inputs(1);
      const Shape& s = *in[0];
      need_spatial(s);
      return {s[0], pooled(layer, s[1], 0), pooled(layer, s[2], 1)};
    }
    case LayerOp::global_avg_pool:
      need_inputs(1);
      need_spatial(*in[0]);
      return {(*in[0])[0]};
    case LayerOp::batch_norm: {
      need_inputs(1);
      const std::int64_t channels = (*in[0])[0];
      for (const auto& p : required_params(layer.op)) expect_dims(layer, p, {channels});
      if (!(layer.epsilon > 0.0f)) fail(layer, "epsilon must be positive");
      return *in[0];
    }
    case LayerOp::add:
      need_inputs(2);
      if (*in[0] != *in[1]) {
        fail(layer, fmt::format("inputs have different shapes {} and {}", shape_to_string(*in[0]),
                                shape_to_string(*in[1])));
      }
      return *in[0];
    case LayerOp::flatten: {
      need_inputs(1);
      std::int64_t total = 1;
      for (auto d : *in[0]) total *= d;
      return {total};
    }
    case LayerOp::softmax:
      need_inputs(1);
      if (in[0]->size() != 1) fail(layer, "needs a flat input");
      return *in[0];
    case LayerOp::clipped_relu:
      if (!(layer.clip_max > 0.0f)) fail(layer, "clip_max must be positive");
      [[fallthrough]];
    case LayerOp::relu:
    case LayerOp::tanh:
    case LayerOp::dropout:
      need_inputs(1);
      return *in[0];
  }
  fail(layer, "unknown operation");
}

}  // namespace

std::string shape_to_string(const Shape& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

void Network::add_layer(Layer layer) {
  finalized_ = false;
  layers_.push_back(std::move(layer));
}

std::size_t Network::index_of(const std::string& layer_name) const {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (layers_[i].name == layer_name) return i;
  }
  throw InputError(fmt::format("no layer named '{}'", layer_name));
}

void Network::finalize() {
  if (layers_.empty()) throw InputError("network has no layers");
  std::map<std::string, std::size_t> by_name;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (layers_[i].name.empty()) throw InputError(fmt::format("layer #{} has no name", i));
    if (!by_name.emplace(layers_[i].name, i).second) {
      throw InputError(fmt::format("two layers are named '{}'", layers_[i].name));
    }
  }
  auto graph = std::make_shared<Graph>(layers_.size());
  inputs_.assign(layers_.size(), {});
  consumers_.assign(layers_.size(), {});
  std::vector<std::size_t> sources;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    for (const auto& in : layers_[i].inputs) {
      const auto it = by_name.find(in);
      if (it == by_name.end()) fail(layers_[i], fmt::format("input '{}' is not a layer", in));
      boost::add_edge(it->second, i, *graph);
      inputs_[i].push_back(it->second);
      consumers_[it->second].push_back(i);
    }
    if (layers_[i].op == LayerOp::input) sources.push_back(i);
  }
  if (sources.size() != 1) {
    throw InputError(fmt::format("network needs exactly one input layer, has {}", sources.size()));
  }
  input_ = sources.front();

  std::vector<Graph::vertex_descriptor> reversed;
  try {
    boost::topological_sort(*graph, std::back_inserter(reversed));
  } catch (const boost::not_a_dag&) {
    throw InputError("network graph has a cycle");
  }
  order_.assign(reversed.rbegin(), reversed.rend());
  graph_ = std::move(graph);

  std::vector<std::size_t> sinks;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (consumers_[i].empty()) sinks.push_back(i);
  }
  if (sinks.size() != 1) {
    throw InputError(fmt::format("network needs exactly one output layer, has {}", sinks.size()));
  }
  output_ = sinks.front();

  shapes_.assign(layers_.size(), {});
  for (auto i : order_) {
    std::vector<const Shape*> in;
    for (auto j : inputs_[i]) in.push_back(&shapes_[j]);
    shapes_[i] = infer_shape(layers_[i], in);
    for (auto d : shapes_[i]) {
      if (d <= 0)
        fail(layers_[i], fmt::format("output shape {} is empty", shape_to_string(shapes_[i])));
    }
  }
  if (shapes_[output_].size() != 1) {
    throw InputError(fmt::format("network output '{}' must be flat (class scores), is {}",
                                 layers_[output_].name, shape_to_string(shapes_[output_])));
  }
  finalized_ = true;
}

std::size_t Network::num_classes() const {
  return static_cast<std::size_t>(shapes_.at(output_).front());
}

std::size_t Network::parameter_count() const {
  std::size_t total = 0;
  for (const auto& layer : layers_) {
    for (const auto& [role, tensor] : layer.params) total += tensor.size();
  }
  return total;
}

Network empty_like(const Network& network) {
  Network out;
  out.name = network.name;
  out.source = network.source;
  out.clip_tuning = network.clip_tuning;
  out.weight_transform = network.weight_transform;
  out.training = network.training;
  out.normalization = network.normalization;
  out.submodels = network.submodels;
  return out;
}

Network fold_batch_norm(const Network& network) {
  Network out = empty_like(network);
  std::vector<Layer> layers = network.layers();
  std::map<std::string, std::string> renamed;  // folded bn name -> conv name
  std::vector<bool> removed(layers.size(), false);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer& bn = layers[i];
    if (bn.op != LayerOp::batch_norm) continue;
    const auto producer = network.inputs_of(i).front();
    if (layers[producer].op != LayerOp::conv2d || network.consumers_of(producer).size() != 1)
      continue;
    Layer& conv = layers[producer];
    const auto& gamma = bn.params.at("gamma").values;
    const auto& beta = bn.params.at("beta").values;
    const auto& mean = bn.params.at("moving_mean").values;
    const auto& var = bn.params.at("moving_variance").values;
    auto& kernel = conv.params.at("kernel").values;
    auto& bias = conv.params.at("bias").values;
    const std::size_t per_channel = kernel.size() / bias.size();
    for (std::size_t c = 0; c < bias.size(); ++c) {
      // y = gamma * (x - mean) / sqrt(var + eps) + beta, with x = conv(w) + b.
      const double factor = gamma[c] / std::sqrt(static_cast<double>(var[c]) + bn.epsilon);
      for (std::size_t k = 0; k < per_channel; ++k) {
        auto& w = kernel[c * per_channel + k];
        w = static_cast<float>(w * factor);
      }
      bias[c] = static_cast<float>((bias[c] - mean[c]) * factor + beta[c]);
    }
    removed[i] = true;
    renamed[bn.name] = conv.name;
  }
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (removed[i]) continue;
    for (auto& in : layers[i].inputs) {
      const auto it = renamed.find(in);
      if (it != renamed.end()) in = it->second;
    }
    out.add_layer(std::move(layers[i]));
  }
  // Folded batch norms leave the sub-models with their convolutions.
  for (auto& sub : out.submodels) {
    std::erase_if(sub.drop, [&](const std::string& name) { return renamed.count(name) > 0; });
  }
  out.finalize();
  return out;
}

Network with_clipped_relus(const Network& network) {
  Network out = empty_like(network);
  std::size_t clipped = 0;
  for (Layer layer : network.layers()) {
    if (layer.op == LayerOp::relu && layer.clip_threshold > 0.0f) {
      layer.op = LayerOp::clipped_relu;
      layer.clip_max = layer.clip_threshold;
      ++clipped;
    }
    out.add_layer(std::move(layer));
  }
  if (clipped == 0) {
    throw InputError(fmt::format(
        "model '{}' has no clipping thresholds; run 'weightfault tune-clip' on it first",
        network.name));
  }
  out.finalize();
  return out;
}

}  // namespace weightfault::nn

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
#include "nn/op.h"

namespace weightfault::nn {
namespace {

[[noreturn]] void fail(const Layer& layer, const std::string& what) {
  fail_layer(layer, what);
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
    if (layers_[i].op == "input") sources.push_back(i);
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
    shapes_[i] = op_of(layers_[i]).output_shape(layers_[i], in);
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
    if (bn.op != "batch_norm") continue;
    const auto producer = network.inputs_of(i).front();
    if (layers[producer].op != "conv2d" || network.consumers_of(producer).size() != 1) continue;
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
    if (layer.op == "relu" && layer.clip_threshold > 0.0f) {
      layer.op = "clipped_relu";
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

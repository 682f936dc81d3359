// A network: layers as the vertices of a Boost.Graph DAG (an edge runs from a
// producer to each consumer), executed in topological order. Built by adding
// layers, then finalize() resolves the wiring, rejects cycles and unknown
// inputs, and infers every layer's output shape while checking weight shapes.
#pragma once

#include <boost/config.hpp>  // before any other Boost.Graph header (Boost 1.74 bug)
#include <boost/graph/adjacency_list.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "nn/layer.h"

namespace weightfault::nn {

// A sub-model (Fuengfusin & Tamukoh 2020): the network with these layers
// detached. Every consumer of a dropped layer reads what the layer read instead
// (its first input that is kept: the identity skip of a residual add), so a
// dropped layer's output must have the shape of that input (nn/submodel.h).
struct SubModel {
  std::string name;
  std::vector<std::string> drop;  // layer names
};

struct InputNormalization {
  float scale = 1.0f / 255.0f;  // network input = raw_pixel * scale + offset
  float offset = 0.0f;
  // Per channel (the first per-sample axis), when given: input = (raw * scale - mean[c]) / std[c].
  std::vector<float> mean, std;

  // The network input for raw value `raw` at index `k` of a sample of `sample_size` values.
  float apply(float raw, std::size_t k, std::size_t sample_size) const {
    if (mean.empty()) return raw * scale + offset;
    const std::size_t c = k % sample_size / (sample_size / mean.size());
    return (raw * scale - mean[c]) / std[c];
  }
};

class Network {
 public:
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;

  // Adds a layer; its inputs are resolved by name in finalize(), so order is free.
  void add_layer(Layer layer);
  // Resolves the graph. Throws InputError ("layer 'x': ...") on any inconsistency.
  void finalize();

  const std::vector<Layer>& layers() const { return layers_; }
  const Layer& layer(std::size_t index) const { return layers_.at(index); }
  Layer& mutable_layer(std::size_t index) { return layers_.at(index); }
  std::size_t size() const { return layers_.size(); }
  std::size_t index_of(const std::string& name) const;  // throws InputError if absent

  const std::vector<std::size_t>& topological_order() const { return order_; }
  const std::vector<std::size_t>& inputs_of(std::size_t index) const { return inputs_.at(index); }
  const std::vector<std::size_t>& consumers_of(std::size_t index) const {
    return consumers_.at(index);
  }
  const Shape& output_shape(std::size_t index) const { return shapes_.at(index); }
  std::size_t input_layer() const { return input_; }
  std::size_t output_layer() const { return output_; }
  const Graph& graph() const { return *graph_; }
  std::size_t num_classes() const;
  // Total weights (all parameters) of all layers.
  std::size_t parameter_count() const;

  std::string name;
  std::string source;       // where the weights came from (e.g. the Keras file)
  std::string clip_tuning;  // how relu clip thresholds were made ("" = none)
  // Effective conv/dense kernels are f(stored) for this SAF transform ("none": stored).
  std::string weight_transform = "none";
  std::string training;  // training record (JSON) of `weightfault train`, "" if imported
  InputNormalization normalization;
  std::vector<SubModel> submodels;  // trained sub-models, [] for a plain network

 private:
  std::vector<Layer> layers_;
  // Immutable once finalized, so copies of a Network share it.
  std::shared_ptr<const Graph> graph_;
  std::vector<std::size_t> order_;
  std::vector<std::vector<std::size_t>> inputs_;
  std::vector<std::vector<std::size_t>> consumers_;
  std::vector<Shape> shapes_;
  std::size_t input_ = 0;
  std::size_t output_ = 0;
  bool finalized_ = false;
};

// A network with the same metadata (name, source, tuning and training records,
// transform, normalization, sub-models) and no layers.
Network empty_like(const Network& network);

// Folds every batch_norm whose only input is a conv2d (with no other consumer)
// into that conv's kernel and bias, and removes it. Returns the finalized result.
Network fold_batch_norm(const Network& network);

std::string shape_to_string(const Shape& shape);

// FT-ClipAct: every relu with a clip_threshold becomes a clipped_relu at that
// threshold. Throws InputError if no relu has one (run `weightfault tune-clip`).
Network with_clipped_relus(const Network& network);

}  // namespace weightfault::nn

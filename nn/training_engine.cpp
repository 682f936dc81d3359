#include "nn/training_engine.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>

#include "common/input_error.h"
#include "nn/dnnl_util.h"
#include "nn/op.h"

namespace weightfault::nn {
namespace {

using dnnl::memory;

void run(Step& step, dnnl::stream& stream, const std::string& layer) {
  try {
    step.primitive.execute(stream, step.args);
  } catch (const dnnl::error& e) {
    throw std::runtime_error(fmt::format("layer '{}': {}", layer, e.what()));
  }
}

// A trainable tensor's storage: values (raw, what is stored), gradient, and the
// oneDNN memories it is copied to and read from.
struct TrainedTensor {
  std::size_t layer = 0;
  std::string role;
  std::vector<float> values, gradient;
  memory used;  // what the primitive reads (transformed for a kernel with a transform)
  memory diff;  // what the backward primitive writes
  bool decays = false;
  const WeightTransform* transform = nullptr;
};

}  // namespace

struct TrainingEngine::Impl final : TrainingBuilder {
  dnnl::engine cpu{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{cpu};
  const Network& net;
  std::size_t batch_size = 0;
  int threads = 1;
  std::vector<memory> outputs, grads, scratch;  // per layer
  std::vector<Step> forward_steps;
  std::vector<std::size_t> forward_layer;  // layer of each forward step
  // Backward steps per layer, run in reverse topological order.
  std::vector<std::vector<Step>> backward_steps;
  std::vector<TrainedTensor> params;
  std::vector<TrainableTensor> trainables;
  std::size_t logits_layer = 0;
  std::size_t classes = 0;
  std::vector<float> logits;
  std::size_t current_layer = 0;  // the layer being built
  // Batch statistics from the last forward, and their moving averages.
  struct Norm {
    memory mean, variance;
    std::vector<float> moving_mean, moving_variance;
  };
  std::unordered_map<std::size_t, Norm> norms;
  static constexpr float kMomentum = 0.99f;  // Keras' BatchNormalization default

  Impl(const Network& network, std::size_t b, int t) : net(network), batch_size(b), threads(t) {}

  // TrainingBuilder, for the ops.
  const Network& network() const override { return net; }
  const dnnl::engine& engine() const override { return cpu; }
  std::size_t batch() const override { return batch_size; }
  memory input(std::size_t layer, std::size_t k) const override {
    return outputs[net.inputs_of(layer).at(k)];
  }
  memory output(std::size_t layer) const override { return outputs[layer]; }
  memory output_gradient(std::size_t layer) const override { return grads[layer]; }
  memory input_gradient(std::size_t layer) const override { return scratch[layer]; }
  TrainingBuilder::Param param(std::size_t layer, const std::string& role, const memory::desc& md,
                               bool decays) override {
    TrainedTensor p;
    p.layer = layer;
    p.role = role;
    p.values = net.layer(layer).params.at(role).values;
    p.gradient.assign(p.values.size(), 0.0f);
    p.used = memory(md, cpu);
    p.diff = memory(md, cpu);
    p.decays = decays;
    params.push_back(std::move(p));
    return {params.back().used, params.back().diff};
  }
  void forward(const dnnl::primitive& primitive, Args args) override {
    forward_steps.push_back({primitive, std::move(args), 0});
    forward_layer.push_back(current_layer);
  }
  void backward(const dnnl::primitive& primitive, Args args) override {
    backward_steps[current_layer].push_back({primitive, std::move(args), 0});
  }
  void track_statistics(std::size_t layer, const memory& mean, const memory& variance) override {
    norms.emplace(layer, Norm{mean, variance, net.layer(layer).params.at("moving_mean").values,
                              net.layer(layer).params.at("moving_variance").values});
  }

  void build();
  void accumulate(std::size_t into, const memory& from) {
    float* dst = data_of(grads[into]);
    const float* src = data_of(from);
    const std::size_t n = elements_of(grads[into]);
    for (std::size_t k = 0; k < n; ++k) dst[k] += src[k];
  }
};

void TrainingEngine::Impl::build() {
  const std::size_t n = net.size();
  outputs.resize(n);
  grads.resize(n);
  scratch.resize(n);
  backward_steps.resize(n);
  const std::size_t out = net.output_layer();
  logits_layer = net.layer(out).op == "softmax" ? net.inputs_of(out).at(0) : out;
  for (const std::size_t i : net.topological_order()) {
    const memory::dims out_dims = batched(batch_size, net.output_shape(i));
    outputs[i] = memory(plain_desc(out_dims), cpu);
    grads[i] = memory(plain_desc(out_dims), cpu);
    if (!net.inputs_of(i).empty()) scratch[i] = memory(input(i, 0).get_desc(), cpu);
    current_layer = i;
    op_of(net.layer(i)).build_training(*this, i);
  }
  for (auto& p : params) {
    trainables.push_back({p.layer, p.role, p.values, p.gradient, p.decays});
  }
  classes = static_cast<std::size_t>(net.output_shape(logits_layer).at(0));
  logits.assign(batch_size * classes, 0.0f);
}

TrainingEngine::TrainingEngine(const Network& network, std::size_t batch, int threads)
    : impl_(std::make_unique<Impl>(network, batch, threads)) {
  if (batch == 0) throw InputError("training batch size must be at least 1");
  try {
    impl_->build();
  } catch (const dnnl::error& e) {
    throw InputError(fmt::format("oneDNN cannot build the training graph: {}", e.what()));
  }
}

TrainingEngine::~TrainingEngine() = default;

std::size_t TrainingEngine::batch() const {
  return impl_->batch_size;
}

void TrainingEngine::set_transform(std::size_t layer, const WeightTransform* transform) {
  for (auto& p : impl_->params) {
    if (p.layer == layer && p.role == "kernel") p.transform = transform;
  }
}

std::vector<TrainableTensor>& TrainingEngine::trainables() {
  return impl_->trainables;
}

std::span<const float> TrainingEngine::forward(std::span<const float> inputs) {
  Impl& im = *impl_;
  omp_set_num_threads(im.threads);
  const std::size_t in = im.net.input_layer();
  if (inputs.size() != elements_of(im.outputs[in])) {
    throw InputError(fmt::format("training batch holds {} values, expected {}", inputs.size(),
                                 elements_of(im.outputs[in])));
  }
  std::memcpy(data_of(im.outputs[in]), inputs.data(), inputs.size() * sizeof(float));
  for (auto& p : im.params) {
    float* used = data_of(p.used);
    if (p.transform != nullptr) {
      for (std::size_t k = 0; k < p.values.size(); ++k) used[k] = p.transform->apply(p.values[k]);
    } else {
      std::memcpy(used, p.values.data(), p.values.size() * sizeof(float));
    }
  }
  for (std::size_t k = 0; k < im.forward_steps.size(); ++k)
    run(im.forward_steps[k], im.stream, im.net.layer(im.forward_layer[k]).name);
  im.stream.wait();
  // Moving averages of the batch statistics (unbiased variance, as Keras).
  for (auto& [layer, norm] : im.norms) {
    const auto& dims = im.outputs[im.net.inputs_of(layer).at(0)].get_desc().dims();
    double count = static_cast<double>(dims[0]);
    for (std::size_t d = 2; d < dims.size(); ++d) count *= static_cast<double>(dims[d]);
    const float correction = count > 1 ? static_cast<float>(count / (count - 1)) : 1.0f;
    const float* mean = data_of(norm.mean);
    const float* var = data_of(norm.variance);
    for (std::size_t c = 0; c < norm.moving_mean.size(); ++c) {
      norm.moving_mean[c] = Impl::kMomentum * norm.moving_mean[c] + (1 - Impl::kMomentum) * mean[c];
      norm.moving_variance[c] =
          Impl::kMomentum * norm.moving_variance[c] + (1 - Impl::kMomentum) * var[c] * correction;
    }
  }
  std::memcpy(im.logits.data(), data_of(im.outputs[im.logits_layer]),
              im.logits.size() * sizeof(float));
  return im.logits;
}

double TrainingEngine::loss(std::span<const std::int32_t> labels) const {
  const Impl& im = *impl_;
  double total = 0.0;
  for (std::size_t b = 0; b < im.batch_size; ++b) {
    const float* z = im.logits.data() + b * im.classes;
    const float top = *std::max_element(z, z + im.classes);
    double sum = 0.0;
    for (std::size_t k = 0; k < im.classes; ++k) sum += std::exp(static_cast<double>(z[k] - top));
    total += std::log(sum) - static_cast<double>(z[labels[b]] - top);
  }
  return total / static_cast<double>(im.batch_size);
}

double TrainingEngine::backward(std::span<const std::int32_t> labels) {
  Impl& im = *impl_;
  if (labels.size() != im.batch_size)
    throw InputError(fmt::format("{} labels for a batch of {}", labels.size(), im.batch_size));
  for (const auto label : labels) {
    if (label < 0 || static_cast<std::size_t>(label) >= im.classes)
      throw InputError(fmt::format("label {} outside 0..{}", label, im.classes - 1));
  }
  for (auto& g : im.grads) {
    if (g) std::memset(g.get_data_handle(), 0, g.get_desc().get_size());
  }
  // d(mean CE)/d logits = (softmax - one_hot) / batch.
  float* dz = data_of(im.grads[im.logits_layer]);
  for (std::size_t b = 0; b < im.batch_size; ++b) {
    const float* z = im.logits.data() + b * im.classes;
    const float top = *std::max_element(z, z + im.classes);
    double sum = 0.0;
    for (std::size_t k = 0; k < im.classes; ++k) sum += std::exp(static_cast<double>(z[k] - top));
    for (std::size_t k = 0; k < im.classes; ++k) {
      const double p = std::exp(static_cast<double>(z[k] - top)) / sum;
      dz[b * im.classes + k] =
          static_cast<float>((p - (static_cast<std::int32_t>(k) == labels[b] ? 1.0 : 0.0)) /
                             static_cast<double>(im.batch_size));
    }
  }
  const auto& order = im.net.topological_order();
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const std::size_t i = *it;
    const Layer& layer = im.net.layer(i);
    const auto& inputs = im.net.inputs_of(i);
    switch (op_of(layer).gradient_flow()) {
      case GradientFlow::none:
        break;
      case GradientFlow::to_every_input:
        for (const auto k : inputs) im.accumulate(k, im.grads[i]);
        break;
      case GradientFlow::to_input:
        im.accumulate(inputs.at(0), im.grads[i]);
        break;
      case GradientFlow::steps:
        for (auto& step : im.backward_steps[i]) run(step, im.stream, layer.name);
        im.stream.wait();
        im.accumulate(inputs.at(0), im.scratch[i]);
        break;
    }
  }
  for (auto& p : im.params) {
    const float* diff = data_of(p.diff);
    for (std::size_t k = 0; k < p.gradient.size(); ++k) {
      p.gradient[k] =
          p.transform != nullptr ? diff[k] * p.transform->derivative(p.values[k]) : diff[k];
    }
  }
  return loss(labels);
}

void TrainingEngine::write_to(Network& network) const {
  for (const auto& p : impl_->params)
    network.mutable_layer(p.layer).params.at(p.role).values = p.values;
  for (const auto& [layer, norm] : impl_->norms) {
    network.mutable_layer(layer).params.at("moving_mean").values = norm.moving_mean;
    network.mutable_layer(layer).params.at("moving_variance").values = norm.moving_variance;
  }
}

}  // namespace weightfault::nn

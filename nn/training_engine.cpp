#include "nn/training_engine.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>

#include "common/input_error.h"
#include "nn/pooling_geometry.h"

namespace weightfault::nn {
namespace {

using dnnl::algorithm;
using dnnl::memory;
using dnnl::prop_kind;
using Tag = memory::format_tag;
using DataType = memory::data_type;
using Args = std::unordered_map<int, memory>;

struct Step {
  dnnl::primitive primitive;
  Args args;
};

void run(Step& step, dnnl::stream& stream, const std::string& layer) {
  try {
    step.primitive.execute(stream, step.args);
  } catch (const dnnl::error& e) {
    throw std::runtime_error(fmt::format("layer '{}': {}", layer, e.what()));
  }
}

memory::dims batched(std::size_t batch, const Shape& shape) {
  memory::dims dims{static_cast<memory::dim>(batch)};
  dims.insert(dims.end(), shape.begin(), shape.end());
  return dims;
}

memory::desc plain(const memory::dims& dims) {
  const Tag tag = dims.size() == 4 ? Tag::nchw : dims.size() == 2 ? Tag::nc : Tag::x;
  return memory::desc(dims, DataType::f32, tag);
}

float* data(const memory& m) {
  return static_cast<float*>(m.get_data_handle());
}
std::size_t elements(const memory& m) {
  return m.get_desc().get_size() / sizeof(float);
}
std::size_t in_channels(const memory& m) {
  return static_cast<std::size_t>(m.get_desc().dims()[1]);
}

// A trainable tensor's storage: values (raw, what is stored), gradient, and the
// oneDNN memories it is copied to and read from.
struct Param {
  std::size_t layer = 0;
  std::string role;
  std::vector<float> values, gradient;
  memory used;  // what the primitive reads (transformed for a kernel with a transform)
  memory diff;  // what the backward primitive writes
  bool decays = false;
  const WeightTransform* transform = nullptr;
};

}  // namespace

struct TrainingEngine::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  const Network& network;
  std::size_t batch = 0;
  int threads = 1;
  std::vector<memory> outputs, grads, scratch;  // per layer
  std::vector<Step> forward_steps;
  std::vector<std::size_t> forward_layer;  // layer of each forward step
  // Backward steps per layer, run in reverse topological order.
  std::vector<std::vector<Step>> backward_steps;
  std::vector<Param> params;
  std::vector<TrainableTensor> trainables;
  std::size_t logits_layer = 0;
  std::size_t classes = 0;
  std::vector<float> logits;
  // Batch norm: batch statistics from the last forward, and moving averages.
  struct Norm {
    memory mean, variance;
    std::vector<float> moving_mean, moving_variance;
  };
  std::unordered_map<std::size_t, Norm> norms;
  static constexpr float kMomentum = 0.99f;  // Keras' BatchNormalization default

  Impl(const Network& net, std::size_t b, int t) : network(net), batch(b), threads(t) {}

  Param& add_param(std::size_t layer, const std::string& role, const memory::desc& md,
                   bool decays) {
    Param p;
    p.layer = layer;
    p.role = role;
    const auto& tensor = network.layer(layer).params.at(role);
    p.values = tensor.values;
    p.gradient.assign(p.values.size(), 0.0f);
    p.used = memory(md, engine);
    p.diff = memory(md, engine);
    p.decays = decays;
    params.push_back(std::move(p));
    return params.back();
  }

  void build();
  void accumulate(std::size_t into, const memory& from) {
    float* dst = data(grads[into]);
    const float* src = data(from);
    const std::size_t n = elements(grads[into]);
    for (std::size_t k = 0; k < n; ++k) dst[k] += src[k];
  }
};

void TrainingEngine::Impl::build() {
  const auto& order = network.topological_order();
  const std::size_t n = network.size();
  outputs.resize(n);
  grads.resize(n);
  scratch.resize(n);
  backward_steps.resize(n);
  const std::size_t out = network.output_layer();
  logits_layer = network.layer(out).op == LayerOp::softmax ? network.inputs_of(out).at(0) : out;
  params.reserve(2 * n);
  for (const std::size_t i : order) {
    const Layer& layer = network.layer(i);
    const memory::dims out_dims = batched(batch, network.output_shape(i));
    const auto input = [&](std::size_t k) { return network.inputs_of(i).at(k); };
    const auto fail = [&](const std::string& why) {
      throw InputError(fmt::format("layer '{}' ({}): {}", layer.name, to_string(layer.op), why));
    };
    if (layer.op == LayerOp::softmax) {
      if (i != out) fail("softmax is supported only as the last layer (the loss uses its logits)");
      continue;
    }
    outputs[i] = memory(plain(out_dims), engine);
    grads[i] = memory(plain(out_dims), engine);
    if (layer.op == LayerOp::input) continue;
    const memory src = outputs[input(0)];
    scratch[i] = memory(src.get_desc(), engine);
    auto& bwd = backward_steps[i];
    switch (layer.op) {
      case LayerOp::conv2d: {
        const auto& kdims = layer.params.at("kernel").dims;
        const memory::desc kernel_oihw(memory::dims(kdims.begin(), kdims.end()), DataType::f32,
                                       Tag::oihw);
        const memory::desc bias_md({layer.units}, DataType::f32, Tag::x);
        const memory::dims strides{layer.stride[0], layer.stride[1]};
        const memory::dims pad_l{layer.padding[0], layer.padding[1]};
        const memory::dims pad_r{layer.padding[2], layer.padding[3]};
        const dnnl::convolution_forward::desc fd(
            prop_kind::forward_training, algorithm::convolution_direct, src.get_desc(), kernel_oihw,
            bias_md, outputs[i].get_desc(), strides, pad_l, pad_r);
        const dnnl::convolution_forward::primitive_desc fpd(fd, engine);
        Param& kernel = add_param(i, "kernel", kernel_oihw, true);
        Param& bias = add_param(i, "bias", bias_md, false);
        forward_steps.push_back({dnnl::convolution_forward(fpd),
                                 {{DNNL_ARG_SRC, src},
                                  {DNNL_ARG_WEIGHTS, kernel.used},
                                  {DNNL_ARG_BIAS, bias.used},
                                  {DNNL_ARG_DST, outputs[i]}}});
        const dnnl::convolution_backward_data::desc bd(
            algorithm::convolution_direct, src.get_desc(), kernel_oihw, outputs[i].get_desc(),
            strides, pad_l, pad_r);
        const dnnl::convolution_backward_data::primitive_desc bpd(bd, engine, fpd);
        const dnnl::convolution_backward_weights::desc wd(
            algorithm::convolution_direct, src.get_desc(), kernel_oihw, bias_md,
            outputs[i].get_desc(), strides, pad_l, pad_r);
        const dnnl::convolution_backward_weights::primitive_desc wpd(wd, engine, fpd);
        bwd.push_back({dnnl::convolution_backward_weights(wpd),
                       {{DNNL_ARG_SRC, src},
                        {DNNL_ARG_DIFF_DST, grads[i]},
                        {DNNL_ARG_DIFF_WEIGHTS, kernel.diff},
                        {DNNL_ARG_DIFF_BIAS, bias.diff}}});
        bwd.push_back({dnnl::convolution_backward_data(bpd),
                       {{DNNL_ARG_DIFF_DST, grads[i]},
                        {DNNL_ARG_WEIGHTS, kernel.used},
                        {DNNL_ARG_DIFF_SRC, scratch[i]}}});
        break;
      }
      case LayerOp::dense: {
        if (src.get_desc().dims().size() != 2) fail("dense needs a flat input (add a flatten)");
        const auto& kdims = layer.params.at("kernel").dims;
        const memory::desc kernel_md(memory::dims(kdims.begin(), kdims.end()), DataType::f32,
                                     Tag::oi);
        const memory::desc bias_md({layer.units}, DataType::f32, Tag::x);
        const dnnl::inner_product_forward::desc fd(prop_kind::forward_training, src.get_desc(),
                                                   kernel_md, bias_md, outputs[i].get_desc());
        const dnnl::inner_product_forward::primitive_desc fpd(fd, engine);
        Param& kernel = add_param(i, "kernel", kernel_md, true);
        Param& bias = add_param(i, "bias", bias_md, false);
        forward_steps.push_back({dnnl::inner_product_forward(fpd),
                                 {{DNNL_ARG_SRC, src},
                                  {DNNL_ARG_WEIGHTS, kernel.used},
                                  {DNNL_ARG_BIAS, bias.used},
                                  {DNNL_ARG_DST, outputs[i]}}});
        const dnnl::inner_product_backward_data::desc bd(src.get_desc(), kernel_md,
                                                         outputs[i].get_desc());
        const dnnl::inner_product_backward_data::primitive_desc bpd(bd, engine, fpd);
        const dnnl::inner_product_backward_weights::desc wd(src.get_desc(), kernel_md, bias_md,
                                                            outputs[i].get_desc());
        const dnnl::inner_product_backward_weights::primitive_desc wpd(wd, engine, fpd);
        bwd.push_back({dnnl::inner_product_backward_weights(wpd),
                       {{DNNL_ARG_SRC, src},
                        {DNNL_ARG_DIFF_DST, grads[i]},
                        {DNNL_ARG_DIFF_WEIGHTS, kernel.diff},
                        {DNNL_ARG_DIFF_BIAS, bias.diff}}});
        bwd.push_back({dnnl::inner_product_backward_data(bpd),
                       {{DNNL_ARG_DIFF_DST, grads[i]},
                        {DNNL_ARG_WEIGHTS, kernel.used},
                        {DNNL_ARG_DIFF_SRC, scratch[i]}}});
        break;
      }
      case LayerOp::relu:
      case LayerOp::clipped_relu:
      case LayerOp::tanh: {
        const algorithm alg = layer.op == LayerOp::relu           ? algorithm::eltwise_relu
                              : layer.op == LayerOp::clipped_relu ? algorithm::eltwise_clip
                                                                  : algorithm::eltwise_tanh;
        const float beta = layer.op == LayerOp::clipped_relu ? layer.clip_max : 0.0f;
        const dnnl::eltwise_forward::desc fd(prop_kind::forward_training, alg, src.get_desc(), 0.0f,
                                             beta);
        const dnnl::eltwise_forward::primitive_desc fpd(fd, engine);
        forward_steps.push_back(
            {dnnl::eltwise_forward(fpd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, outputs[i]}}});
        const dnnl::eltwise_backward::desc bd(alg, src.get_desc(), src.get_desc(), 0.0f, beta);
        const dnnl::eltwise_backward::primitive_desc bpd(bd, engine, fpd);
        bwd.push_back({dnnl::eltwise_backward(bpd),
                       {{DNNL_ARG_SRC, src},
                        {DNNL_ARG_DIFF_DST, grads[i]},
                        {DNNL_ARG_DIFF_SRC, scratch[i]}}});
        break;
      }
      case LayerOp::max_pool:
      case LayerOp::avg_pool:
      case LayerOp::global_avg_pool: {
        const auto g = pooling_geometry(layer, src.get_desc().dims(), out_dims);
        const memory::desc pooled_md = plain(g.dst_dims);
        const dnnl::pooling_v2_forward::desc fd(prop_kind::forward_training, g.algorithm,
                                                src.get_desc(), pooled_md, g.strides, g.kernel,
                                                {0, 0}, g.pad_l, g.pad_r);
        const dnnl::pooling_v2_forward::primitive_desc fpd(fd, engine);
        // A global pool's [N][C][1][1] output is the flat [N][C] output, same bytes.
        const memory pooled(pooled_md, engine, outputs[i].get_data_handle());
        const memory pooled_diff(pooled_md, engine, grads[i].get_data_handle());
        Args fargs{{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, pooled}};
        Args bargs{{DNNL_ARG_DIFF_DST, pooled_diff}, {DNNL_ARG_DIFF_SRC, scratch[i]}};
        if (g.algorithm == algorithm::pooling_max) {
          const memory workspace(fpd.workspace_desc(), engine);
          fargs.emplace(DNNL_ARG_WORKSPACE, workspace);
          bargs.emplace(DNNL_ARG_WORKSPACE, workspace);
        }
        forward_steps.push_back({dnnl::pooling_v2_forward(fpd), fargs});
        const dnnl::pooling_v2_backward::desc bd(g.algorithm, src.get_desc(), pooled_md, g.strides,
                                                 g.kernel, {0, 0}, g.pad_l, g.pad_r);
        const dnnl::pooling_v2_backward::primitive_desc bpd(bd, engine, fpd);
        bwd.push_back({dnnl::pooling_v2_backward(bpd), bargs});
        break;
      }
      case LayerOp::batch_norm: {
        const auto flags =
            dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
        const dnnl::batch_normalization_forward::desc fd(prop_kind::forward_training,
                                                         src.get_desc(), layer.epsilon, flags);
        const dnnl::batch_normalization_forward::primitive_desc fpd(fd, engine);
        const memory::desc vec_md({static_cast<memory::dim>(in_channels(src))}, DataType::f32,
                                  Tag::x);
        Param& gamma = add_param(i, "gamma", vec_md, false);
        Param& beta = add_param(i, "beta", vec_md, false);
        Norm norm{memory(fpd.mean_desc(), engine), memory(fpd.variance_desc(), engine),
                  layer.params.at("moving_mean").values, layer.params.at("moving_variance").values};
        forward_steps.push_back({dnnl::batch_normalization_forward(fpd),
                                 {{DNNL_ARG_SRC, src},
                                  {DNNL_ARG_SCALE, gamma.used},
                                  {DNNL_ARG_SHIFT, beta.used},
                                  {DNNL_ARG_MEAN, norm.mean},
                                  {DNNL_ARG_VARIANCE, norm.variance},
                                  {DNNL_ARG_DST, outputs[i]}}});
        const dnnl::batch_normalization_backward::desc bd(prop_kind::backward, src.get_desc(),
                                                          src.get_desc(), layer.epsilon, flags);
        const dnnl::batch_normalization_backward::primitive_desc bpd(bd, engine, fpd);
        bwd.push_back({dnnl::batch_normalization_backward(bpd),
                       {{DNNL_ARG_SRC, src},
                        {DNNL_ARG_MEAN, norm.mean},
                        {DNNL_ARG_VARIANCE, norm.variance},
                        {DNNL_ARG_SCALE, gamma.used},
                        {DNNL_ARG_SHIFT, beta.used},
                        {DNNL_ARG_DIFF_DST, grads[i]},
                        {DNNL_ARG_DIFF_SRC, scratch[i]},
                        {DNNL_ARG_DIFF_SCALE, gamma.diff},
                        {DNNL_ARG_DIFF_SHIFT, beta.diff}}});
        norms.emplace(i, std::move(norm));
        break;
      }
      case LayerOp::add: {
        const memory other = outputs[input(1)];
        const dnnl::binary::desc fd(algorithm::binary_add, src.get_desc(), other.get_desc(),
                                    outputs[i].get_desc());
        const dnnl::binary::primitive_desc fpd(fd, engine);
        forward_steps.push_back(
            {dnnl::binary(fpd),
             {{DNNL_ARG_SRC_0, src}, {DNNL_ARG_SRC_1, other}, {DNNL_ARG_DST, outputs[i]}}});
        break;  // backward: the gradient passes to both inputs unchanged
      }
      case LayerOp::flatten:
      case LayerOp::dropout: {
        // Same values, same order (flatten is CHW order): a copy each way.
        const memory::desc as_src = src.get_desc();
        const memory view(as_src, engine, outputs[i].get_data_handle());
        forward_steps.push_back(
            {dnnl::reorder(src, view), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, view}}});
        break;
      }
      default:
        fail("this op cannot be trained");
    }
    forward_layer.resize(forward_steps.size(), i);
  }
  for (auto& p : params) {
    trainables.push_back({p.layer, p.role, p.values, p.gradient, p.decays});
  }
  classes = static_cast<std::size_t>(network.output_shape(logits_layer).at(0));
  logits.assign(batch * classes, 0.0f);
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
  return impl_->batch;
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
  const std::size_t in = im.network.input_layer();
  if (inputs.size() != elements(im.outputs[in])) {
    throw InputError(fmt::format("training batch holds {} values, expected {}", inputs.size(),
                                 elements(im.outputs[in])));
  }
  std::memcpy(data(im.outputs[in]), inputs.data(), inputs.size() * sizeof(float));
  for (auto& p : im.params) {
    float* used = data(p.used);
    if (p.transform != nullptr) {
      for (std::size_t k = 0; k < p.values.size(); ++k) used[k] = p.transform->apply(p.values[k]);
    } else {
      std::memcpy(used, p.values.data(), p.values.size() * sizeof(float));
    }
  }
  for (std::size_t k = 0; k < im.forward_steps.size(); ++k)
    run(im.forward_steps[k], im.stream, im.network.layer(im.forward_layer[k]).name);
  im.stream.wait();
  // Moving averages of the batch statistics (unbiased variance, as Keras).
  for (auto& [layer, norm] : im.norms) {
    const auto& dims = im.outputs[im.network.inputs_of(layer).at(0)].get_desc().dims();
    double count = static_cast<double>(dims[0]);
    for (std::size_t d = 2; d < dims.size(); ++d) count *= static_cast<double>(dims[d]);
    const float correction = count > 1 ? static_cast<float>(count / (count - 1)) : 1.0f;
    const float* mean = data(norm.mean);
    const float* var = data(norm.variance);
    for (std::size_t c = 0; c < norm.moving_mean.size(); ++c) {
      norm.moving_mean[c] = Impl::kMomentum * norm.moving_mean[c] + (1 - Impl::kMomentum) * mean[c];
      norm.moving_variance[c] =
          Impl::kMomentum * norm.moving_variance[c] + (1 - Impl::kMomentum) * var[c] * correction;
    }
  }
  std::memcpy(im.logits.data(), data(im.outputs[im.logits_layer]),
              im.logits.size() * sizeof(float));
  return im.logits;
}

double TrainingEngine::loss(std::span<const std::int32_t> labels) const {
  const Impl& im = *impl_;
  double total = 0.0;
  for (std::size_t b = 0; b < im.batch; ++b) {
    const float* z = im.logits.data() + b * im.classes;
    const float top = *std::max_element(z, z + im.classes);
    double sum = 0.0;
    for (std::size_t k = 0; k < im.classes; ++k) sum += std::exp(static_cast<double>(z[k] - top));
    total += std::log(sum) - static_cast<double>(z[labels[b]] - top);
  }
  return total / static_cast<double>(im.batch);
}

double TrainingEngine::backward(std::span<const std::int32_t> labels) {
  Impl& im = *impl_;
  if (labels.size() != im.batch)
    throw InputError(fmt::format("{} labels for a batch of {}", labels.size(), im.batch));
  for (const auto label : labels) {
    if (label < 0 || static_cast<std::size_t>(label) >= im.classes)
      throw InputError(fmt::format("label {} outside 0..{}", label, im.classes - 1));
  }
  for (auto& g : im.grads) {
    if (g) std::memset(g.get_data_handle(), 0, g.get_desc().get_size());
  }
  // d(mean CE)/d logits = (softmax - one_hot) / batch.
  float* dz = data(im.grads[im.logits_layer]);
  for (std::size_t b = 0; b < im.batch; ++b) {
    const float* z = im.logits.data() + b * im.classes;
    const float top = *std::max_element(z, z + im.classes);
    double sum = 0.0;
    for (std::size_t k = 0; k < im.classes; ++k) sum += std::exp(static_cast<double>(z[k] - top));
    for (std::size_t k = 0; k < im.classes; ++k) {
      const double p = std::exp(static_cast<double>(z[k] - top)) / sum;
      dz[b * im.classes + k] =
          static_cast<float>((p - (static_cast<std::int32_t>(k) == labels[b] ? 1.0 : 0.0)) /
                             static_cast<double>(im.batch));
    }
  }
  const auto& order = im.network.topological_order();
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const std::size_t i = *it;
    const Layer& layer = im.network.layer(i);
    if (layer.op == LayerOp::input || layer.op == LayerOp::softmax) continue;
    const auto& inputs = im.network.inputs_of(i);
    if (layer.op == LayerOp::add) {
      for (const auto k : inputs) im.accumulate(k, im.grads[i]);
      continue;
    }
    if (layer.op == LayerOp::flatten || layer.op == LayerOp::dropout) {
      im.accumulate(inputs.at(0), im.grads[i]);
      continue;
    }
    for (auto& step : im.backward_steps[i]) run(step, im.stream, layer.name);
    im.stream.wait();
    im.accumulate(inputs.at(0), im.scratch[i]);
  }
  for (auto& p : im.params) {
    const float* diff = data(p.diff);
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

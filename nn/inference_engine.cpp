#include "nn/inference_engine.h"

#include <fmt/format.h>
#include <omp.h>

#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>

#include "common/input_error.h"

namespace weightfault::nn {
namespace {

using dnnl::algorithm;
using dnnl::memory;
using dnnl::prop_kind;
using Tag = memory::format_tag;
using DataType = memory::data_type;

struct Step {
  dnnl::primitive primitive;
  std::unordered_map<int, memory> args;
};

struct WeightSlot {
  memory plain_kernel;  // OIHW / OI, what callers write
  memory kernel;        // the primitive's preferred layout
  memory bias;
  bool needs_reorder = false;
  dnnl::reorder kernel_reorder;
};

memory::dims batched(std::size_t batch, const Shape& shape) {
  memory::dims dims{static_cast<memory::dim>(batch)};
  dims.insert(dims.end(), shape.begin(), shape.end());
  return dims;
}

Tag plain_tag(std::size_t rank) {
  return rank == 4 ? Tag::nchw : Tag::nc;
}

bool is_fusable_activation(LayerOp op) {
  return op == LayerOp::relu || op == LayerOp::clipped_relu || op == LayerOp::tanh;
}

// oneDNN eltwise parameters of an activation layer.
std::tuple<algorithm, float, float> eltwise_of(const Layer& layer) {
  switch (layer.op) {
    case LayerOp::relu:
      return {algorithm::eltwise_relu, 0.0f, 0.0f};
    case LayerOp::clipped_relu:
      return {algorithm::eltwise_clip, 0.0f, layer.clip_max};
    default:
      return {algorithm::eltwise_tanh, 0.0f, 0.0f};
  }
}

}  // namespace

struct InferenceEngine::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::vector<Step> steps;
  std::vector<memory> outputs;  // per layer
  std::unordered_map<std::size_t, WeightSlot> weights;
  memory input;   // plain user input
  memory logits;  // plain [batch][classes]
  std::size_t logits_layer = 0;
  std::vector<bool> fused_into_previous;  // activation executed as a post-op

  // Returns `mem` in layout `want`, adding a reorder step if needed.
  memory as_layout(const memory& mem, const memory::desc& want) {
    if (mem.get_desc() == want) return mem;
    memory converted(want, engine);
    steps.push_back(
        {dnnl::reorder(mem, converted), {{DNNL_ARG_FROM, mem}, {DNNL_ARG_TO, converted}}});
    return converted;
  }

  // A plain 2D view [batch][features] of `mem` (reordering to plain first).
  memory as_flat(const memory& mem, std::size_t batch, std::int64_t features) {
    const auto dims = mem.get_desc().dims();
    const memory plain = as_layout(mem, memory::desc(dims, DataType::f32, plain_tag(dims.size())));
    return memory(memory::desc({static_cast<memory::dim>(batch), features}, DataType::f32, Tag::nc),
                  engine, plain.get_data_handle());
  }
};

InferenceEngine::InferenceEngine(const Network& network, EngineOptions options)
    : network_(network), options_(options), impl_(std::make_unique<Impl>()) {
  if (options_.batch == 0) throw InputError("batch size must be at least 1");
  if (options_.threads < 1) throw InputError("engine threads must be at least 1");
  // oneDNN sizes its kernels' parallel decomposition at creation time: set the
  // thread count first so that it matches execution.
  omp_set_num_threads(options_.threads);
  Impl& im = *impl_;
  const std::size_t batch = options_.batch;
  const auto& layers = network.layers();
  im.outputs.resize(layers.size());
  im.fused_into_previous.assign(layers.size(), false);

  for (const auto i : network.topological_order()) {
    const Layer& layer = layers[i];
    const Shape& out_shape = network.output_shape(i);
    const auto& in_idx = network.inputs_of(i);
    memory src = in_idx.empty() ? memory() : im.outputs[in_idx.front()];
    const memory::dims out_dims = batched(batch, out_shape);

    if (im.fused_into_previous[i]) {
      im.outputs[i] = src;
      continue;
    }
    // An activation that is the only consumer of a conv/dense rides along as a post-op.
    dnnl::primitive_attr attr;
    if (options_.fuse_activations && layer.has_weights() && network.consumers_of(i).size() == 1) {
      const auto next = network.consumers_of(i).front();
      if (is_fusable_activation(layers[next].op)) {
        const auto [alg, alpha, beta] = eltwise_of(layers[next]);
        dnnl::post_ops ops;
        ops.append_eltwise(1.0f, alg, alpha, beta);
        attr.set_post_ops(ops);
        im.fused_into_previous[next] = true;
      }
    }

    switch (layer.op) {
      case LayerOp::input: {
        im.input =
            memory(memory::desc(out_dims, DataType::f32, plain_tag(out_dims.size())), im.engine);
        im.outputs[i] = im.input;
        break;
      }
      case LayerOp::conv2d:
      case LayerOp::dense: {
        const auto& kernel = layer.params.at("kernel");
        const memory::dims kernel_dims(kernel.dims.begin(), kernel.dims.end());
        const memory::desc any_kernel(kernel_dims, DataType::f32, Tag::any);
        const memory::desc bias_md({layer.units}, DataType::f32, Tag::x);
        const memory::desc any_dst(out_dims, DataType::f32, Tag::any);
        dnnl::primitive prim;
        memory::desc kernel_md;
        memory::desc dst_md;
        if (layer.op == LayerOp::conv2d) {
          const memory::desc any_src(src.get_desc().dims(), DataType::f32, Tag::any);
          const dnnl::convolution_forward::desc desc(
              prop_kind::forward_inference, algorithm::convolution_direct, any_src, any_kernel,
              bias_md, any_dst, {layer.stride[0], layer.stride[1]},
              {layer.padding[0], layer.padding[1]}, {layer.padding[2], layer.padding[3]});
          const dnnl::convolution_forward::primitive_desc pd(desc, attr, im.engine);
          src = im.as_layout(src, pd.src_desc());
          kernel_md = pd.weights_desc();
          dst_md = pd.dst_desc();
          prim = dnnl::convolution_forward(pd);
        } else {
          const dnnl::inner_product_forward::desc desc(prop_kind::forward_inference, src.get_desc(),
                                                       any_kernel, bias_md, any_dst);
          const dnnl::inner_product_forward::primitive_desc pd(desc, attr, im.engine);
          src = im.as_layout(src, pd.src_desc());
          kernel_md = pd.weights_desc();
          dst_md = pd.dst_desc();
          prim = dnnl::inner_product_forward(pd);
        }
        WeightSlot slot;
        slot.plain_kernel = memory(
            memory::desc(kernel_dims, DataType::f32, plain_tag(kernel_dims.size())), im.engine);
        slot.needs_reorder = kernel_md != slot.plain_kernel.get_desc();
        slot.kernel = slot.needs_reorder ? memory(kernel_md, im.engine) : slot.plain_kernel;
        if (slot.needs_reorder) slot.kernel_reorder = dnnl::reorder(slot.plain_kernel, slot.kernel);
        slot.bias = memory(bias_md, im.engine);
        im.outputs[i] = memory(dst_md, im.engine);
        im.steps.push_back({prim,
                            {{DNNL_ARG_SRC, src},
                             {DNNL_ARG_WEIGHTS, slot.kernel},
                             {DNNL_ARG_BIAS, slot.bias},
                             {DNNL_ARG_DST, im.outputs[i]}}});
        im.weights.emplace(i, std::move(slot));
        restore_weights(i);
        break;
      }
      case LayerOp::relu:
      case LayerOp::clipped_relu:
      case LayerOp::tanh: {
        const auto [alg, alpha, beta] = eltwise_of(layer);
        const dnnl::eltwise_forward::desc desc(prop_kind::forward_inference, alg, src.get_desc(),
                                               alpha, beta);
        const dnnl::eltwise_forward::primitive_desc pd(desc, im.engine);
        im.outputs[i] = memory(pd.dst_desc(), im.engine);
        im.steps.push_back(
            {dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, im.outputs[i]}}});
        break;
      }
      case LayerOp::max_pool:
      case LayerOp::avg_pool:
      case LayerOp::global_avg_pool: {
        const auto in_dims = src.get_desc().dims();
        const bool global = layer.op == LayerOp::global_avg_pool;
        const memory::dims kernel = global ? memory::dims{in_dims[2], in_dims[3]}
                                           : memory::dims{layer.kernel[0], layer.kernel[1]};
        const memory::dims strides =
            global ? kernel : memory::dims{layer.stride[0], layer.stride[1]};
        const memory::dims pad_l =
            global ? memory::dims{0, 0} : memory::dims{layer.padding[0], layer.padding[1]};
        const memory::dims pad_r =
            global ? memory::dims{0, 0} : memory::dims{layer.padding[2], layer.padding[3]};
        const memory::dims pool_dims =
            global ? memory::dims{in_dims[0], in_dims[1], 1, 1} : out_dims;
        // Average pooling ignores padded cells, as Keras/TensorFlow 'same' pooling does.
        const algorithm alg = layer.op == LayerOp::max_pool
                                  ? algorithm::pooling_max
                                  : algorithm::pooling_avg_exclude_padding;
        const dnnl::pooling_v2_forward::desc desc(prop_kind::forward_inference, alg, src.get_desc(),
                                                  memory::desc(pool_dims, DataType::f32, Tag::any),
                                                  strides, kernel, {0, 0}, pad_l, pad_r);
        const dnnl::pooling_v2_forward::primitive_desc pd(desc, im.engine);
        memory pooled(pd.dst_desc(), im.engine);
        im.steps.push_back(
            {dnnl::pooling_v2_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, pooled}}});
        im.outputs[i] = global ? im.as_flat(pooled, batch, out_shape[0]) : pooled;
        break;
      }
      case LayerOp::batch_norm: {
        const auto flags = dnnl::normalization_flags::use_global_stats |
                           dnnl::normalization_flags::use_scale |
                           dnnl::normalization_flags::use_shift;
        const dnnl::batch_normalization_forward::desc desc(prop_kind::forward_inference,
                                                           src.get_desc(), layer.epsilon, flags);
        const dnnl::batch_normalization_forward::primitive_desc pd(desc, im.engine);
        im.outputs[i] = memory(pd.dst_desc(), im.engine);
        auto vector_memory = [&](const std::string& role) {
          const auto& values = layer.params.at(role).values;
          memory m(memory::desc({static_cast<memory::dim>(values.size())}, DataType::f32, Tag::x),
                   im.engine);
          std::memcpy(m.get_data_handle(), values.data(), values.size() * sizeof(float));
          return m;
        };
        im.steps.push_back({dnnl::batch_normalization_forward(pd),
                            {{DNNL_ARG_SRC, src},
                             {DNNL_ARG_SCALE, vector_memory("gamma")},
                             {DNNL_ARG_SHIFT, vector_memory("beta")},
                             {DNNL_ARG_MEAN, vector_memory("moving_mean")},
                             {DNNL_ARG_VARIANCE, vector_memory("moving_variance")},
                             {DNNL_ARG_DST, im.outputs[i]}}});
        break;
      }
      case LayerOp::add: {
        const memory other = im.outputs[in_idx.at(1)];
        const dnnl::binary::desc desc(algorithm::binary_add, src.get_desc(), other.get_desc(),
                                      src.get_desc());
        const dnnl::binary::primitive_desc pd(desc, im.engine);
        im.outputs[i] = memory(pd.dst_desc(), im.engine);
        im.steps.push_back(
            {dnnl::binary(pd),
             {{DNNL_ARG_SRC_0, src}, {DNNL_ARG_SRC_1, other}, {DNNL_ARG_DST, im.outputs[i]}}});
        break;
      }
      case LayerOp::flatten:
        im.outputs[i] = im.as_flat(src, batch, out_shape[0]);
        break;
      case LayerOp::softmax: {
        const dnnl::softmax_forward::desc desc(prop_kind::forward_inference, src.get_desc(), 1);
        const dnnl::softmax_forward::primitive_desc pd(desc, im.engine);
        im.outputs[i] = memory(pd.dst_desc(), im.engine);
        im.steps.push_back(
            {dnnl::softmax_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, im.outputs[i]}}});
        break;
      }
      case LayerOp::dropout:
        im.outputs[i] = src;  // identity at inference
        break;
    }
  }
  // Class scores are the logits before a final softmax: metrics apply a stable
  // log-softmax themselves, and argmax over logits avoids ties of saturated probabilities.
  const auto out = network.output_layer();
  im.logits_layer = layers[out].op == LayerOp::softmax ? network.inputs_of(out).front() : out;
  im.logits = im.as_flat(im.outputs[im.logits_layer], batch,
                         static_cast<std::int64_t>(network.num_classes()));
}

InferenceEngine::~InferenceEngine() = default;

void InferenceEngine::infer_normalized(std::span<const float> inputs, std::size_t count,
                                       std::vector<float>& logits) {
  Impl& im = *impl_;
  if (count > options_.batch) throw InputError("more images than the engine's batch size");
  const std::size_t per_sample = im.input.get_desc().get_size() / sizeof(float) / options_.batch;
  if (inputs.size() != count * per_sample) {
    throw InputError(fmt::format("input holds {} values, expected {} images x {}", inputs.size(),
                                 count, per_sample));
  }
  auto* dst = static_cast<float*>(im.input.get_data_handle());
  std::memcpy(dst, inputs.data(), inputs.size() * sizeof(float));
  // Unused rows of a partial batch are zero; rows are independent, so they change nothing.
  std::fill(dst + inputs.size(), dst + options_.batch * per_sample, 0.0f);
  omp_set_num_threads(options_.threads);
  for (auto& step : im.steps) step.primitive.execute(im.stream, step.args);
  im.stream.wait();
  const std::size_t classes = network_.num_classes();
  const auto* src = static_cast<const float*>(im.logits.get_data_handle());
  logits.assign(src, src + count * classes);
}

void InferenceEngine::infer(std::span<const std::uint8_t> pixels, std::size_t count,
                            std::vector<float>& logits) {
  const auto& norm = network_.normalization;
  std::vector<float> inputs(pixels.size());
  for (std::size_t k = 0; k < pixels.size(); ++k) {
    inputs[k] = static_cast<float>(pixels[k]) * norm.scale + norm.offset;
  }
  infer_normalized(inputs, count, logits);
}

void InferenceEngine::set_weights(std::size_t layer, std::span<const float> kernel,
                                  std::span<const float> bias) {
  Impl& im = *impl_;
  const auto it = im.weights.find(layer);
  if (it == im.weights.end()) {
    throw InputError(fmt::format("layer '{}' has no weights", network_.layer(layer).name));
  }
  WeightSlot& slot = it->second;
  const std::size_t kernel_size = slot.plain_kernel.get_desc().get_size() / sizeof(float);
  const std::size_t bias_size = slot.bias.get_desc().get_size() / sizeof(float);
  if (kernel.size() != kernel_size || bias.size() != bias_size) {
    throw InputError(fmt::format("layer '{}': got {} kernel and {} bias values, expected {} and {}",
                                 network_.layer(layer).name, kernel.size(), bias.size(),
                                 kernel_size, bias_size));
  }
  std::memcpy(slot.plain_kernel.get_data_handle(), kernel.data(), kernel.size_bytes());
  std::memcpy(slot.bias.get_data_handle(), bias.data(), bias.size_bytes());
  if (slot.needs_reorder) {
    omp_set_num_threads(options_.threads);
    slot.kernel_reorder.execute(im.stream, slot.plain_kernel, slot.kernel);
    im.stream.wait();
  }
}

void InferenceEngine::restore_weights(std::size_t layer) {
  const Layer& l = network_.layer(layer);
  set_weights(layer, l.params.at("kernel").values, l.params.at("bias").values);
}

std::vector<float> InferenceEngine::layer_output(std::size_t layer) {
  Impl& im = *impl_;
  memory mem = im.outputs.at(layer);
  const auto dims = mem.get_desc().dims();
  memory plain(memory::desc(dims, DataType::f32, plain_tag(dims.size())), im.engine);
  dnnl::reorder(mem, plain).execute(im.stream, mem, plain);
  im.stream.wait();
  const auto* data = static_cast<const float*>(plain.get_data_handle());
  return {data, data + plain.get_desc().get_size() / sizeof(float)};
}

}  // namespace weightfault::nn

#include "nn/inference_engine.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
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

struct Step {
  dnnl::primitive primitive;
  std::unordered_map<int, memory> args;
  std::size_t stage = 0;  // position in topological order of the layer it computes
};

bool is_output_arg(int arg) {
  return arg == DNNL_ARG_DST || arg == DNNL_ARG_TO;
}

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
  std::size_t current_stage = 0;          // stage of the steps being built
  std::vector<std::size_t> stage_of_layer;
  std::vector<std::vector<memory>> boundaries;  // per stage

  void add_step(Step step) {
    step.stage = current_stage;
    steps.push_back(std::move(step));
  }

  // Memories (by data handle) written before `stage` and read from it on: the
  // state a run starting at `stage` needs, in a deterministic order.
  std::vector<memory> boundary(std::size_t stage) const {
    std::vector<void*> written{input.get_data_handle()};
    for (const auto& step : steps) {
      if (step.stage >= stage) continue;
      for (const auto& [arg, mem] : step.args) {
        if (is_output_arg(arg)) written.push_back(mem.get_data_handle());
      }
    }
    std::vector<memory> out;
    std::vector<void*> taken;
    for (const auto& step : steps) {
      if (step.stage < stage) continue;
      std::vector<std::pair<int, memory>> args(step.args.begin(), step.args.end());
      std::sort(args.begin(), args.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      for (const auto& [arg, mem] : args) {
        void* h = mem.get_data_handle();
        if (is_output_arg(arg) || std::find(written.begin(), written.end(), h) == written.end())
          continue;
        const auto at =
            static_cast<std::size_t>(std::find(taken.begin(), taken.end(), h) - taken.begin());
        if (at == taken.size()) {
          taken.push_back(h);
          out.push_back(mem);
        } else if (mem.get_desc().get_size() > out[at].get_desc().get_size()) {
          out[at] = mem;  // the larger of two views of one buffer
        }
      }
    }
    return out;
  }

  // Returns `mem` in layout `want`, adding a reorder step if needed.
  memory as_layout(const memory& mem, const memory::desc& want) {
    if (mem.get_desc() == want) return mem;
    memory converted(want, engine);
    add_step({dnnl::reorder(mem, converted), {{DNNL_ARG_FROM, mem}, {DNNL_ARG_TO, converted}}});
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

  im.stage_of_layer.assign(layers.size(), 0);
  for (const auto i : network.topological_order()) {
    im.stage_of_layer[i] = im.current_stage = static_cast<std::size_t>(
        std::find(network.topological_order().begin(), network.topological_order().end(), i) -
        network.topological_order().begin());
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
        im.add_step({prim,
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
        im.add_step(
            {dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, im.outputs[i]}}});
        break;
      }
      case LayerOp::max_pool:
      case LayerOp::avg_pool:
      case LayerOp::global_avg_pool: {
        const auto g = pooling_geometry(layer, src.get_desc().dims(), out_dims);
        const dnnl::pooling_v2_forward::desc desc(prop_kind::forward_inference, g.algorithm,
                                                  src.get_desc(),
                                                  memory::desc(g.dst_dims, DataType::f32, Tag::any),
                                                  g.strides, g.kernel, {0, 0}, g.pad_l, g.pad_r);
        const dnnl::pooling_v2_forward::primitive_desc pd(desc, im.engine);
        memory pooled(pd.dst_desc(), im.engine);
        im.add_step({dnnl::pooling_v2_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, pooled}}});
        im.outputs[i] = g.global ? im.as_flat(pooled, batch, out_shape[0]) : pooled;
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
        im.add_step({dnnl::batch_normalization_forward(pd),
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
        im.add_step(
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
        im.add_step(
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
  im.current_stage = layers.size();  // the final view/reorder runs after every layer
  im.logits_layer = layers[out].op == LayerOp::softmax ? network.inputs_of(out).front() : out;
  im.logits = im.as_flat(im.outputs[im.logits_layer], batch,
                         static_cast<std::int64_t>(network.num_classes()));
  for (std::size_t stage = 0; stage <= layers.size(); ++stage)
    im.boundaries.push_back(im.boundary(stage));
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
  run_from(0);
  read_logits(count, logits);
}

void InferenceEngine::infer(std::span<const std::uint8_t> pixels, std::size_t count,
                            std::vector<float>& logits) {
  load_inputs(pixels, count);
  run_from(0);
  read_logits(count, logits);
}

void InferenceEngine::load_inputs(std::span<const std::uint8_t> pixels, std::size_t count) {
  Impl& im = *impl_;
  if (count > options_.batch) throw InputError("more images than the engine's batch size");
  const std::size_t capacity = im.input.get_desc().get_size() / sizeof(float);
  if (pixels.size() > capacity) throw InputError("more input values than the engine's batch holds");
  const auto& norm = network_.normalization;
  auto* dst = static_cast<float*>(im.input.get_data_handle());
  for (std::size_t k = 0; k < pixels.size(); ++k)
    dst[k] = static_cast<float>(pixels[k]) * norm.scale + norm.offset;
  std::fill(dst + pixels.size(), dst + capacity, 0.0f);
}

void InferenceEngine::run_from(std::size_t stage) {
  Impl& im = *impl_;
  omp_set_num_threads(options_.threads);
  for (auto& step : im.steps) {
    if (step.stage >= stage) step.primitive.execute(im.stream, step.args);
  }
  im.stream.wait();
}

void InferenceEngine::read_logits(std::size_t count, std::vector<float>& logits) const {
  const std::size_t classes = network_.num_classes();
  const auto* src = static_cast<const float*>(impl_->logits.get_data_handle());
  logits.assign(src, src + count * classes);
}

std::size_t InferenceEngine::stage_of(std::size_t layer) const {
  return impl_->stage_of_layer.at(layer);
}

std::size_t InferenceEngine::boundary_bytes(std::size_t stage) const {
  std::size_t bytes = 0;
  for (const auto& m : impl_->boundaries.at(stage)) bytes += m.get_desc().get_size();
  return bytes;
}

void InferenceEngine::save_boundary(std::size_t stage, std::span<std::uint8_t> out) const {
  std::size_t at = 0;
  for (const auto& m : impl_->boundaries.at(stage)) {
    const std::size_t size = m.get_desc().get_size();
    std::memcpy(out.data() + at, m.get_data_handle(), size);
    at += size;
  }
}

void InferenceEngine::load_boundary(std::size_t stage, std::span<const std::uint8_t> in) {
  std::size_t at = 0;
  for (const auto& m : impl_->boundaries.at(stage)) {
    const std::size_t size = m.get_desc().get_size();
    std::memcpy(m.get_data_handle(), in.data() + at, size);
    at += size;
  }
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

#include "nn/model_definition.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "common/input_error.h"
#include "common/split_mix.h"
#include "common/toml_reader.h"
#include "nn/submodel.h"

namespace weightfault::nn {
namespace {

// Uniform in [-limit, limit) from a SplitMix64 stream.
void fill_uniform(Tensor& t, SplitMix64& rng, float limit) {
  for (auto& v : t.values) {
    const double u = static_cast<double>(rng.next() >> 11) * 0x1.0p-53;
    v = static_cast<float>((2.0 * u - 1.0) * limit);
  }
}

Tensor zeros(std::vector<std::int64_t> dims, float value = 0.0f) {
  std::size_t n = 1;
  for (const auto d : dims) n *= static_cast<std::size_t>(d);
  return Tensor{std::move(dims), std::vector<float>(n, value)};
}

// An int or a pair [a, b] as a pair.
std::optional<std::array<std::int64_t, 2>> pair_of(const toml::node& n) {
  if (const auto* i = n.as_integer()) return std::array<std::int64_t, 2>{i->get(), i->get()};
  if (const auto* a = n.as_array();
      a && a->size() == 2 && a->get(0)->is_integer() && a->get(1)->is_integer()) {
    return std::array<std::int64_t, 2>{a->get(0)->as_integer()->get(),
                                       a->get(1)->as_integer()->get()};
  }
  return std::nullopt;
}

}  // namespace

ModelDefinition load_model_definition(const std::filesystem::path& path,
                                      std::optional<std::uint64_t> seed) {
  ModelDefinition def;
  def.file = path.string();
  {
    std::ifstream in(path);
    if (!in) throw InputError(fmt::format("{}: model definition not found", def.file));
    std::stringstream buffer;
    buffer << in.rdbuf();
    def.text = buffer.str();
  }
  toml::table root;
  try {
    root = toml::parse(def.text, def.file);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}:{}: TOML syntax error: {}", def.file, e.source().begin.line,
                                 e.source().begin.column, e.description()));
  }
  TomlReader r(def.file);
  TomlReader::Table top{&root, "", {}};
  Network& net = def.network;
  if (auto v = r.string(top, "name", true)) net.name = *v;
  Shape input_shape{1, 28, 28};
  if (const auto* a = r.array(top, "input", false)) {
    input_shape.clear();
    for (const auto& item : *a) {
      const auto* i = item.as_integer();
      if (i == nullptr || i->get() < 1 || i->get() > 4096) {
        r.error(item.source(), "input", "expected [C, H, W] or [F] of positive integers",
                show(item));
        break;
      }
      input_shape.push_back(i->get());
    }
  }
  TrainingSettings& st = def.settings;
  auto tr = r.table(root, "training", top.known, false);
  if (tr.table != nullptr) {
    if (auto v = r.string(tr, "dataset", false, {"mnist", "fashion-mnist"})) st.dataset = *v;
    if (auto v = r.integer(tr, "epochs", false, 1, 1000)) st.epochs = static_cast<std::size_t>(*v);
    if (auto v = r.integer(tr, "batch", false, 1, 4096)) st.batch = static_cast<std::size_t>(*v);
    if (auto v = r.string(tr, "optimizer", false, {"adam", "sgd"})) st.optimizer = *v;
    if (auto v = r.number(tr, "learning_rate", false, 1e-8, 10.0)) st.learning_rate = *v;
    if (auto v = r.number(tr, "momentum", false, 0.0, 0.999)) st.momentum = *v;
    if (auto v = r.number(tr, "beta1", false, 0.0, 0.9999)) st.beta1 = *v;
    if (auto v = r.number(tr, "beta2", false, 0.0, 0.999999)) st.beta2 = *v;
    if (auto v = r.number(tr, "weight_decay", false, 0.0, 1.0)) st.weight_decay = *v;
    if (auto v = r.string(tr, "schedule", false, {"constant", "step", "cosine"})) st.schedule = *v;
    if (auto v = r.integer(tr, "step_epochs", false, 1, 1000))
      st.step_epochs = static_cast<std::size_t>(*v);
    if (auto v = r.number(tr, "step_gamma", false, 1e-6, 1.0)) st.step_gamma = *v;
    if (auto v = r.integer(tr, "seed", false, 0, std::numeric_limits<std::int64_t>::max()))
      st.seed = static_cast<std::uint64_t>(*v);
    if (auto v = r.integer(tr, "threads", false, 1, 256)) st.threads = static_cast<int>(*v);
    if (auto v = r.string(tr, "weight_transform", false,
                          {"none", "tanh", "arctan", "softsign", "hardtanh"}))
      st.weight_transform = *v;
    if (auto v = r.number(tr, "base_loss_weight", false, 0.0, 1000.0)) st.base_loss_weight = *v;
    r.reject_unknown(tr);
  }
  if (seed) st.seed = *seed;

  Layer input;
  input.name = "input";
  input.op = LayerOp::input;
  input.input_shape = input_shape;
  std::map<std::string, Shape> shapes{{"input", input_shape}};
  net.add_layer(input);
  std::string previous = "input";
  SplitMix64 init(stream_seed({st.seed, 0x696e6974}));  // "init"
  top.known.insert("layer");
  const auto* layers = root.get("layer");
  const auto* list = layers ? layers->as_array() : nullptr;
  if (list == nullptr || list->empty() || !list->is_array_of_tables()) {
    r.error_at_file("layer", "expected one or more [[layer]] tables");
  } else {
    std::vector<std::string> ops;
    for (const auto& n : known_layer_op_names()) {
      if (n != "input") ops.push_back(n);
    }
    for (std::size_t k = 0; k < list->size(); ++k) {
      TomlReader::Table t{list->get(k)->as_table(), fmt::format("layer[{}]", k), {}};
      const auto op_name = r.string(t, "op", true, ops);
      Layer layer;
      layer.op = op_name ? *layer_op_from_string(*op_name) : LayerOp::relu;
      layer.name = r.string(t, "name", false)
                       .value_or(fmt::format("{}_{}", op_name.value_or("layer"), k + 1));
      if (const auto* a = r.node(t, "inputs", false)) {
        const auto* arr = a->as_array();
        bool ok = arr != nullptr && !arr->empty();
        for (std::size_t i = 0; ok && i < arr->size(); ++i) {
          const auto* s = arr->get(i)->as_string();
          ok = s != nullptr && shapes.count(s->get()) > 0;
          if (ok) layer.inputs.push_back(s->get());
        }
        if (!ok) {
          r.error(a->source(), t.path + ".inputs",
                  "expected names of layers defined above (or \"input\")", show(*a));
        }
      } else {
        layer.inputs = {previous};
      }
      if (layer.inputs.empty()) layer.inputs = {previous};
      const Shape in = shapes.count(layer.inputs[0]) ? shapes[layer.inputs[0]] : Shape{};
      Shape out = in;
      const bool spatial = layer.op == LayerOp::conv2d || layer.op == LayerOp::max_pool ||
                           layer.op == LayerOp::avg_pool;
      if (layer.op == LayerOp::conv2d || layer.op == LayerOp::dense) {
        if (auto v = r.integer(t, "units", true, 1, 65536)) layer.units = *v;
      }
      if (spatial) {
        if (const auto* n = r.node(t, "kernel", true)) {
          if (const auto p = pair_of(*n); p && (*p)[0] > 0 && (*p)[1] > 0)
            layer.kernel = *p;
          else
            r.error(n->source(), t.path + ".kernel", "expected a positive integer or [kh, kw]",
                    show(*n));
        }
        layer.stride =
            layer.op == LayerOp::conv2d ? std::array<std::int64_t, 2>{1, 1} : layer.kernel;
        if (const auto* n = r.node(t, "stride", false)) {
          if (const auto p = pair_of(*n); p && (*p)[0] > 0 && (*p)[1] > 0)
            layer.stride = *p;
          else
            r.error(n->source(), t.path + ".stride", "expected a positive integer or [sh, sw]",
                    show(*n));
        }
        std::string padding = "valid";
        if (auto v = r.string(t, "padding", false, {"valid", "same"})) padding = *v;
        if (in.size() == 3 && padding == "same") {
          for (int d = 0; d < 2; ++d) {
            const std::int64_t size = in[static_cast<std::size_t>(d) + 1];
            const std::int64_t outd = (size + layer.stride[d] - 1) / layer.stride[d];
            const std::int64_t total =
                std::max<std::int64_t>((outd - 1) * layer.stride[d] + layer.kernel[d] - size, 0);
            layer.padding[d] = total / 2;
            layer.padding[d + 2] = total - total / 2;
          }
        }
      }
      if (layer.op == LayerOp::clipped_relu) {
        if (auto v = r.number(t, "clip_max", true, 1e-6, 1e6))
          layer.clip_max = static_cast<float>(*v);
      }
      if (layer.op == LayerOp::batch_norm) {
        if (auto v = r.number(t, "epsilon", false, 1e-9, 1.0))
          layer.epsilon = static_cast<float>(*v);
      }
      r.reject_unknown(t);
      // Output shape and initial weights.
      const auto bad_input = [&](const char* want) {
        r.error(list->get(k)->source(), t.path, fmt::format("needs {} input", want));
      };
      switch (layer.op) {
        case LayerOp::conv2d: {
          if (in.size() != 3) {
            bad_input("a [C, H, W]");
            break;
          }
          Tensor kernel = zeros({layer.units, in[0], layer.kernel[0], layer.kernel[1]});
          const double fan_in = static_cast<double>(in[0] * layer.kernel[0] * layer.kernel[1]);
          fill_uniform(kernel, init, static_cast<float>(std::sqrt(6.0 / fan_in)));  // He uniform
          layer.params["kernel"] = kernel;
          layer.params["bias"] = zeros({layer.units});
          out = {layer.units, 0, 0};
          break;
        }
        case LayerOp::dense: {
          if (in.size() != 1) {
            bad_input("a flat [F]");
            break;
          }
          Tensor kernel = zeros({layer.units, in[0]});
          fill_uniform(kernel, init,
                       static_cast<float>(std::sqrt(6.0 / static_cast<double>(in[0]))));
          layer.params["kernel"] = kernel;
          layer.params["bias"] = zeros({layer.units});
          out = {layer.units};
          break;
        }
        case LayerOp::batch_norm: {
          const std::int64_t channels = in.empty() ? 1 : in[0];
          layer.params["gamma"] = zeros({channels}, 1.0f);
          layer.params["beta"] = zeros({channels});
          layer.params["moving_mean"] = zeros({channels});
          layer.params["moving_variance"] = zeros({channels}, 1.0f);
          break;
        }
        case LayerOp::flatten: {
          std::int64_t n = 1;
          for (const auto d : in) n *= d;
          out = {n};
          break;
        }
        case LayerOp::global_avg_pool:
          out = {in.empty() ? 1 : in[0]};
          break;
        default:
          break;
      }
      if (spatial && in.size() == 3) {
        for (int d = 0; d < 2; ++d) {
          out[static_cast<std::size_t>(d) + 1] =
              (in[static_cast<std::size_t>(d) + 1] + layer.padding[d] + layer.padding[d + 2] -
               layer.kernel[d]) /
                  layer.stride[d] +
              1;
        }
        if (layer.op != LayerOp::conv2d) out[0] = in[0];
      }
      shapes[layer.name] = out;
      previous = layer.name;
      net.add_layer(std::move(layer));
    }
  }
  // Sub-models: [[submodel]] name, drop = [layers], loss_weight.
  top.known.insert("submodel");
  std::vector<toml::source_region> submodel_at;
  if (const auto* subs = root.get("submodel")) {
    const auto* list = subs->as_array();
    if (list == nullptr || !list->is_array_of_tables()) {
      r.error(subs->source(), "submodel", "expected [[submodel]] tables");
    } else {
      for (std::size_t k = 0; k < list->size(); ++k) {
        TomlReader::Table t{list->get(k)->as_table(), fmt::format("submodel[{}]", k), {}};
        SubModel sub;
        if (auto v = r.string(t, "name", true)) sub.name = *v;
        if (const auto* a = r.array(t, "drop", true)) {
          for (const auto& item : *a) {
            if (const auto* name = item.as_string()) {
              sub.drop.push_back(name->get());
            } else {
              r.error(item.source(), t.path + ".drop", "expected layer names", show(item));
            }
          }
          if (a->empty()) r.error(a->source(), t.path + ".drop", "expected at least one layer");
        }
        double weight = 1.0;
        if (auto v = r.number(t, "loss_weight", false, 0.0, 1000.0)) weight = *v;
        r.reject_unknown(t);
        for (const auto& other : net.submodels) {
          if (other.name == sub.name)
            r.error(t.table->source(), t.path + ".name", "sub-model names must be unique",
                    sub.name);
        }
        submodel_at.push_back(t.table->source());
        net.submodels.push_back(std::move(sub));
        def.submodel_loss_weights.push_back(weight);
      }
    }
  }
  r.reject_unknown(top);
  if (!r.errors().empty()) {
    std::string all;
    for (const auto& e : r.errors()) all += (all.empty() ? "" : "\n") + e;
    throw InputError(all);
  }
  try {
    net.finalize();
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", def.file, e.what()));
  }
  for (std::size_t k = 0; k < net.submodels.size(); ++k) {
    const auto& sub = net.submodels[k];
    try {
      (void)without_layers(net, sub.drop);
    } catch (const InputError& e) {
      r.error(submodel_at[k], fmt::format("submodel[{}].drop", k),
              fmt::format("sub-model '{}': {}", sub.name, e.what()));
    }
  }
  if (!r.errors().empty()) {
    std::string all;
    for (const auto& e : r.errors()) all += (all.empty() ? "" : "\n") + e;
    throw InputError(all);
  }
  net.source = def.file;
  return def;
}

}  // namespace weightfault::nn

#include "nn/model_definition.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "common/input_error.h"
#include "common/split_mix.h"
#include "common/toml_reader.h"
#include "nn/definition_context.h"
#include "nn/op.h"
#include "nn/submodel.h"

namespace weightfault::nn {
namespace {

// Top level: the model's name and input shape.
Shape read_header(TomlReader& r, TomlReader::Table& top, Network& net) {
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
  return input_shape;
}

// [training]: optimiser, schedule, seed, threads, transform, sub-model loss weight.
void read_training(TomlReader& r, const toml::table& root, TomlReader::Table& top,
                   TrainingSettings& st) {
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
}

// One [[layer]] table: op, name, inputs, then what the op reads (its keys, initial
// parameters, output shape).
void read_layer(TomlReader& r, const toml::node& node, std::size_t k,
                std::map<std::string, Shape>& shapes, std::string& previous, SplitMix64& init,
                Network& net) {
  static const std::vector<std::string> ops = [] {
    std::vector<std::string> out;
    for (const auto& n : known_layer_op_names()) {
      if (n != "input") out.push_back(n);
    }
    return out;
  }();  // what a [[layer]] may be: every op but the input
  TomlReader::Table t{node.as_table(), fmt::format("layer[{}]", k), {}};
  const auto op_name = r.string(t, "op", true, ops);
  Layer layer;
  layer.op = op_name.value_or("relu");
  layer.name =
      r.string(t, "name", false).value_or(fmt::format("{}_{}", op_name.value_or("layer"), k + 1));
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
  DefinitionContext ctx{r, t, node, layer, in, init};
  const Shape out = op_named(layer.op).define(ctx);
  r.reject_unknown(t);
  shapes[layer.name] = out;
  previous = layer.name;
  net.add_layer(std::move(layer));
}

// The input layer, then every [[layer]] table in order.
void read_layers(TomlReader& r, const toml::table& root, TomlReader::Table& top,
                 const Shape& input_shape, std::uint64_t seed, Network& net) {
  Layer input;
  input.name = "input";
  input.op = "input";
  input.input_shape = input_shape;
  std::map<std::string, Shape> shapes{{"input", input_shape}};
  net.add_layer(input);
  std::string previous = "input";
  SplitMix64 init(stream_seed({seed, 0x696e6974}));  // "init"
  top.known.insert("layer");
  const auto* layers = root.get("layer");
  const auto* list = layers ? layers->as_array() : nullptr;
  if (list == nullptr || list->empty() || !list->is_array_of_tables()) {
    r.error_at_file("layer", "expected one or more [[layer]] tables");
    return;
  }
  for (std::size_t k = 0; k < list->size(); ++k)
    read_layer(r, *list->get(k), k, shapes, previous, init, net);
}

// [[submodel]] name, drop = [layers], loss_weight. Returns where each table is.
std::vector<toml::source_region> read_submodels(TomlReader& r, const toml::table& root,
                                                TomlReader::Table& top, ModelDefinition& def) {
  Network& net = def.network;
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
  return submodel_at;
}

void throw_if_errors(const TomlReader& r) {
  if (r.errors().empty()) return;
  std::string all;
  for (const auto& e : r.errors()) all += (all.empty() ? "" : "\n") + e;
  throw InputError(all);
}

}  // namespace

ModelDefinition load_model_definition(const std::filesystem::path& path,
                                      std::optional<std::uint64_t> seed) {
  ModelDefinition def;
  def.file = path.string();
  const toml::table root = parse_toml_file(path, "model definition", def.text);
  TomlReader r(def.file);
  TomlReader::Table top{&root, "", {}};
  Network& net = def.network;
  const Shape input_shape = read_header(r, top, net);
  read_training(r, root, top, def.settings);
  if (seed) def.settings.seed = *seed;
  read_layers(r, root, top, input_shape, def.settings.seed, net);
  const auto submodel_at = read_submodels(r, root, top, def);
  r.reject_unknown(top);
  throw_if_errors(r);
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
  throw_if_errors(r);
  net.source = def.file;
  return def;
}

}  // namespace weightfault::nn

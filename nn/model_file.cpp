#include "nn/model_file.h"

#include <fmt/format.h>

#include <cmath>

#include <fmt/ranges.h>
#include <algorithm>

#include "common/hdf5_file.h"
#include "common/input_error.h"
#include "nn/op.h"
#include "nn/submodel.h"

namespace weightfault::nn {
namespace {

constexpr const char* kFormatName = "weightfault-model";

void write_layer(const h5::Object& layers_group, const Layer& layer) {
  const auto group = h5::create_group(layers_group, layer.name);
  h5::write_string_attribute(group, "op", layer.op);
  h5::write_string_list_attribute(group, "inputs", layer.inputs);
  op_of(layer).write_attributes(group, layer);
  for (const auto& [role, tensor] : layer.params) {
    h5::write_float_dataset(group, role, tensor.dims, tensor.values);
  }
}

Layer read_layer(const h5::Object& layers_group, const std::string& name) {
  const auto group = h5::open_group(layers_group, name);
  Layer layer;
  layer.name = name;
  layer.op = h5::read_string_attribute(group, "op");
  const Op* op = find_op(layer.op);
  if (op == nullptr) {
    throw InputError(fmt::format("{}: unknown layer op '{}' (known: {})", group.where(), layer.op,
                                 fmt::join(known_layer_op_names(), ", ")));
  }
  layer.inputs = h5::read_string_list_attribute(group, "inputs");
  op->read_attributes(group, layer);
  for (const auto& role : op->param_roles()) {
    if (!h5::has_child(group, role)) {
      throw InputError(
          fmt::format("{}: missing weight dataset '{}' of layer '{}'", group.where(), role, name));
    }
    auto array = h5::read_float_dataset(group, role);
    // A model's weights are the fault-free golden copy: a NaN or Inf there is a broken file
    // (faults are simulated at run time, never stored in the model).
    const auto bad = std::find_if(array.values.begin(), array.values.end(),
                                  [](float v) { return !std::isfinite(v); });
    if (bad != array.values.end()) {
      throw InputError(fmt::format(
          "{}: weight dataset '{}' of layer '{}' holds {} at index {}; a model's weights must be "
          "finite numbers",
          group.where(), role, name, *bad, bad - array.values.begin()));
    }
    layer.params[role] = Tensor{std::move(array.dims), std::move(array.values)};
  }
  return layer;
}

}  // namespace

void save_model(const Network& network, const std::filesystem::path& path) {
  const auto file = h5::create_file(path);
  h5::write_string_attribute(file, "format", kFormatName);
  h5::write_int_attribute(file, "format_version", {kModelFormatVersion});
  h5::write_string_attribute(file, "name", network.name);
  h5::write_string_attribute(file, "source", network.source);
  if (!network.clip_tuning.empty())
    h5::write_string_attribute(file, "clip_tuning", network.clip_tuning);
  if (network.weight_transform != "none")
    h5::write_string_attribute(file, "weight_transform", network.weight_transform);
  if (!network.training.empty()) h5::write_string_attribute(file, "training", network.training);
  if (!network.submodels.empty()) {
    // One entry per sub-model: "name:layer,layer,...".
    std::vector<std::string> subs;
    for (const auto& sub : network.submodels)
      subs.push_back(fmt::format("{}:{}", sub.name, fmt::join(sub.drop, ",")));
    h5::write_string_list_attribute(file, "submodels", subs);
  }
  h5::write_double_attribute(file, "input_scale", network.normalization.scale);
  h5::write_double_attribute(file, "input_offset", network.normalization.offset);
  if (!network.normalization.mean.empty()) {
    h5::write_float_dataset(file, "input_mean",
                            {static_cast<std::int64_t>(network.normalization.mean.size())},
                            network.normalization.mean);
    h5::write_float_dataset(file, "input_std",
                            {static_cast<std::int64_t>(network.normalization.std.size())},
                            network.normalization.std);
  }
  std::vector<std::string> names;
  for (const auto& layer : network.layers()) names.push_back(layer.name);
  h5::write_string_list_attribute(file, "layers", names);
  const auto layers_group = h5::create_group(file, "layers");
  for (const auto& layer : network.layers()) write_layer(layers_group, layer);
}

Network load_model(const std::filesystem::path& path, bool fold_batch_norms) {
  const auto file = h5::open_file(path);
  if (!h5::has_attribute(file, "format") ||
      h5::read_string_attribute(file, "format") != kFormatName) {
    throw InputError(
        fmt::format("{}: not a weightfault model file (no format = '{}'); import Keras files with "
                    "'weightfault import-keras'",
                    path.string(), kFormatName));
  }
  const auto version = h5::read_int_attribute(file, "format_version");
  if (version.size() != 1 || version[0] != kModelFormatVersion) {
    throw InputError(fmt::format("{}: model format version {} is not supported (expected {})",
                                 path.string(), fmt::join(version, ","), kModelFormatVersion));
  }
  Network network;
  network.name = h5::read_string_attribute(file, "name");
  network.source = h5::read_string_attribute(file, "source");
  if (h5::has_attribute(file, "clip_tuning"))
    network.clip_tuning = h5::read_string_attribute(file, "clip_tuning");
  if (h5::has_attribute(file, "weight_transform"))
    network.weight_transform = h5::read_string_attribute(file, "weight_transform");
  if (h5::has_attribute(file, "training"))
    network.training = h5::read_string_attribute(file, "training");
  if (h5::has_attribute(file, "submodels")) {
    for (const auto& entry : h5::read_string_list_attribute(file, "submodels")) {
      const auto colon = entry.find(':');
      if (colon == std::string::npos || colon == 0) {
        throw InputError(
            fmt::format("{}: attribute 'submodels': entry '{}' is not 'name:layer,layer,...'",
                        path.string(), entry));
      }
      SubModel sub{entry.substr(0, colon), {}};
      std::string rest = entry.substr(colon + 1);
      for (std::size_t at = 0; at <= rest.size();) {
        const auto comma = std::min(rest.find(',', at), rest.size());
        if (comma > at) sub.drop.push_back(rest.substr(at, comma - at));
        at = comma + 1;
      }
      network.submodels.push_back(std::move(sub));
    }
  }
  network.normalization.scale = static_cast<float>(h5::read_double_attribute(file, "input_scale"));
  network.normalization.offset =
      static_cast<float>(h5::read_double_attribute(file, "input_offset"));
  if (h5::has_child(file, "input_mean")) {
    network.normalization.mean = h5::read_float_dataset(file, "input_mean").values;
    network.normalization.std = h5::read_float_dataset(file, "input_std").values;
    if (network.normalization.mean.size() != network.normalization.std.size())
      throw InputError(fmt::format("{}: input_mean and input_std differ in length", path.string()));
  }
  const auto layers_group = h5::open_group(file, "layers");
  for (const auto& name : h5::read_string_list_attribute(file, "layers")) {
    network.add_layer(read_layer(layers_group, name));
  }
  try {
    network.finalize();
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", path.string(), e.what()));
  }
  for (const auto& sub : network.submodels) {
    try {
      (void)without_layers(network, sub.drop);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: sub-model '{}': {}", path.string(), sub.name, e.what()));
    }
  }
  // Folding a batch norm into f(raw) kernels would not be f of anything: SAF models keep them.
  return fold_batch_norms && network.weight_transform == "none" ? fold_batch_norm(network)
                                                                : network;
}

}  // namespace weightfault::nn

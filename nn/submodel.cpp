#include "nn/submodel.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/input_error.h"

namespace weightfault::nn {

Network without_layers(const Network& network, const std::vector<std::string>& drop) {
  std::set<std::size_t> dropped;
  for (const auto& name : drop) {
    const std::size_t i = network.index_of(name);
    const auto op = network.layer(i).op;
    if (op == "input" || i == network.output_layer()) {
      throw InputError(fmt::format("layer '{}' cannot be dropped: it is the network's {}", name,
                                   op == "input" ? "input" : "output"));
    }
    dropped.insert(i);
  }
  // What a consumer of layer i reads once the dropped layers are gone.
  std::map<std::size_t, std::size_t> reads;
  for (const auto i : network.topological_order()) {
    if (!dropped.count(i)) {
      reads[i] = i;
      continue;
    }
    const auto& inputs = network.inputs_of(i);
    std::size_t source = reads.at(inputs.front());
    for (const auto j : inputs) {
      if (!dropped.count(j)) {
        source = j;
        break;
      }
    }
    if (network.output_shape(source) != network.output_shape(i)) {
      throw InputError(fmt::format(
          "layer '{}' cannot be dropped: its output {} differs from the {} its consumers would "
          "read instead (from '{}')",
          network.layer(i).name, shape_to_string(network.output_shape(i)),
          shape_to_string(network.output_shape(source)), network.layer(source).name));
    }
    reads[i] = source;
  }
  Network out = empty_like(network);
  out.training.clear();
  out.submodels.clear();
  for (std::size_t i = 0; i < network.size(); ++i) {
    if (dropped.count(i)) continue;
    Layer layer = network.layer(i);
    for (auto& in : layer.inputs) in = network.layer(reads.at(network.index_of(in))).name;
    out.add_layer(std::move(layer));
  }
  try {
    out.finalize();
  } catch (const InputError& e) {
    throw InputError(fmt::format("without layers [{}]: {}", fmt::join(drop, ", "), e.what()));
  }
  return out;
}

std::vector<std::string> droppable_layers(const Network& network) {
  std::set<std::string> names;
  for (const auto& sub : network.submodels) names.insert(sub.drop.begin(), sub.drop.end());
  return {names.begin(), names.end()};
}

std::vector<std::string> drop_set_for(const Network& network,
                                      const std::vector<std::string>& failed) {
  const auto drops = [](const SubModel& sub, const std::string& name) {
    return std::find(sub.drop.begin(), sub.drop.end(), name) != sub.drop.end();
  };
  std::vector<std::string> detachable;
  for (const auto& name : failed) {
    for (const auto& sub : network.submodels) {
      if (drops(sub, name)) {
        detachable.push_back(name);
        break;
      }
    }
  }
  if (detachable.empty()) return {};
  const SubModel* best = nullptr;
  for (const auto& sub : network.submodels) {
    const bool covers = std::all_of(detachable.begin(), detachable.end(),
                                    [&](const std::string& n) { return drops(sub, n); });
    if (covers && (best == nullptr || sub.drop.size() < best->drop.size())) best = &sub;
  }
  std::set<std::string> out;
  if (best != nullptr) {
    out.insert(best->drop.begin(), best->drop.end());
  } else {
    for (const auto& name : detachable) {
      const SubModel* smallest = nullptr;
      for (const auto& sub : network.submodels) {
        if (drops(sub, name) && (smallest == nullptr || sub.drop.size() < smallest->drop.size()))
          smallest = &sub;
      }
      out.insert(smallest->drop.begin(), smallest->drop.end());
    }
  }
  return {out.begin(), out.end()};
}

}  // namespace weightfault::nn

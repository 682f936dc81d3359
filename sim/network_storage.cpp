#include "sim/network_storage.h"

#include <algorithm>

#include "nn/op.h"
#include "nn/submodel.h"

namespace weightfault::sim {

std::vector<storage::TensorToStore> tensors_to_store(const nn::Network& network) {
  const auto detachable = nn::droppable_layers(network);
  std::vector<storage::TensorToStore> out;
  for (const auto i : network.topological_order()) {
    const auto& layer = network.layer(i);
    if (!layer.has_weights()) continue;
    const bool drops =
        std::find(detachable.begin(), detachable.end(), layer.name) != detachable.end();
    for (const auto& role : nn::op_of(layer).param_roles()) {
      out.push_back(
          {layer.name + "/" + role, layer.name, role, layer.params.at(role).values, drops});
    }
  }
  return out;
}

storage::ModelFacts model_facts(const nn::Network& network) {
  return {network.name, network.weight_transform};
}

storage::StoredImage store_network(const nn::Network& network,
                                   const storage::ProtectionSpec& protection,
                                   const storage::DTypeSpec& dtype, memory::PlacementPolicy policy,
                                   const memory::AddressMapping& mapping) {
  const auto tensors = tensors_to_store(network);
  return storage::StoredImage(tensors, model_facts(network), protection, dtype, policy, mapping);
}

}  // namespace weightfault::sim

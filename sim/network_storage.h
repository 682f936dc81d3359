// A network's parameter tensors as storage/ sees them: named float arrays with
// their owner layer, role and whether a trained sub-model can run without the
// owner. sim/ is where the network and the memory meet; storage/ knows no network.
#pragma once

#include <vector>

#include "memory_models/placement.h"
#include "nn/network.h"
#include "storage/stored_image.h"

namespace weightfault::sim {

// Every stored parameter tensor of `network`: per layer whose op stores its parameters,
// in topological order, each parameter tensor in the op's order ("<layer>/<role>"). The
// spans point into `network`.
std::vector<storage::TensorToStore> tensors_to_store(const nn::Network& network);

storage::ModelFacts model_facts(const nn::Network& network);

// The stored image of `network` under `protection` and `dtype`.
storage::StoredImage store_network(const nn::Network& network,
                                   const storage::ProtectionSpec& protection,
                                   const storage::DTypeSpec& dtype, memory::PlacementPolicy policy,
                                   const memory::AddressMapping& mapping);

}  // namespace weightfault::sim

// Sub-models of a network with detachable layers (Fuengfusin & Tamukoh,
// "Network with Sub-networks", JRNAL 7(4) 2020): the network with a set of
// layers removed and their consumers rewired to what the removed layers read.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "nn/network.h"

namespace weightfault::nn {

// The network without the layers named in `drop`, finalized. A consumer of a
// dropped layer reads the dropped layer's first kept input (or, if all its
// inputs are dropped, what its first input reads), so the output of a dropped
// layer must have that input's shape. Throws InputError naming the layer that
// cannot be dropped. Sub-models and training record are not carried over.
Network without_layers(const Network& network, const std::vector<std::string>& drop);

// Layer names (of `network`) that some sub-model drops.
std::vector<std::string> droppable_layers(const Network& network);

// The layers to drop when the layers in `failed` (names) must not be read:
// the trained sub-model with the fewest dropped layers that drops all of them,
// else the union over failed layers of the smallest sub-model dropping each.
// Failed layers no sub-model drops are ignored (they cannot be detached).
// Returns [] when nothing can be dropped; names sorted.
std::vector<std::string> drop_set_for(const Network& network,
                                      const std::vector<std::string>& failed);

}  // namespace weightfault::nn

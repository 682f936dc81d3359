// The plain-loop reference of a whole network: each layer's op computes its
// reference loops (nn/op.h, straight from the definitions),
// in plain layouts (NCHW activations, OIHW / OI weights). Used only to check
// the oneDNN engine (tests) and as the baseline of bench/bench_inference.
#pragma once

#include <cstddef>
#include <vector>

#include "nn/network.h"

namespace weightfault::reference {

// Output of every layer for `batch` samples of normalized input [batch][...].
// Index = layer index in the network. Batch norms are applied as such (not folded).
std::vector<std::vector<float>> forward(const nn::Network& network, const std::vector<float>& input,
                                        std::size_t batch);

// Class scores: the final layer's input if it is a softmax, else its output.
std::vector<float> logits(const nn::Network& network, const std::vector<float>& input,
                          std::size_t batch);

}  // namespace weightfault::reference

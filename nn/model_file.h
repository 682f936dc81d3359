// weightfault's own model file (HDF5), documented in docs/model-format.md:
//   /              attrs: format = "weightfault-model", format_version = 1, name,
//                         source, input_scale, input_offset, layers (names, file order)
//   /layers/<name> attrs: op, inputs, and the op's hyper-parameters;
//                  datasets: its weight tensors in plain layout (OIHW, OI, [C]).
#pragma once

#include <filesystem>

#include "nn/network.h"

namespace weightfault::nn {

inline constexpr std::int64_t kModelFormatVersion = 1;

void save_model(const Network& network, const std::filesystem::path& path);

// Reads and finalizes a model; batch norms are folded into their convs unless
// `fold_batch_norms` is false or the model has a weight transform (SAF). Throws InputError naming
// the file and the problem.
Network load_model(const std::filesystem::path& path, bool fold_batch_norms = true);

}  // namespace weightfault::nn

// Import of Keras 2.x HDF5 model files (Sequential models) into a Network.
// The architecture is the JSON in the file's `model_config` attribute; weights
// are under /model_weights/<layer>/ (or the root for save_weights files).
// Layouts are converted to ours: conv kernels [KH][KW][I][O] -> OIHW, dense
// kernels [I][O] -> OI, and the dense layer after a Flatten of an HWC tensor
// gets its inputs permuted to CHW order. docs/model-format.md lists what is
// supported; anything else is an InputError naming the layer.
#pragma once

#include <filesystem>

#include "nn/network.h"

namespace weightfault::nn {

struct KerasImportOptions {
  InputNormalization normalization;  // how raw pixels become network inputs
};

Network import_keras(const std::filesystem::path& path, const KerasImportOptions& options = {});

// Keras layer classes the importer understands.
const std::vector<std::string>& supported_keras_layers();

}  // namespace weightfault::nn

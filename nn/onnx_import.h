// ONNX import (docs/onnx.md): an ONNX model (e.g. exported by PyTorch) becomes a
// weightfault Network. Nodes map onto registered ops; subgraphs that depend only
// on initializers, constants and shapes (PyTorch's dynamic-batch shape
// arithmetic) are evaluated at import with a batch of 1. Every float initializer
// a layer uses becomes that layer's parameter tensor. What cannot be imported is
// an InputError naming the node, its op type and opset, and the supported list.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nn/network.h"

namespace weightfault::nn {

// A constant tensor (dims and values as doubles; float32 values are exact).
struct OnnxConstant {
  std::vector<std::int64_t> dims;
  std::vector<double> values;
  bool is_float = true;  // float data (weights) rather than integers (shapes, indices)
  // The initializer it holds the values of (through Identity, Expand, Reshape, ...), for
  // naming the stored tensor as in the ONNX file; empty for computed constants.
  std::string origin;
};

struct OnnxImportOptions {
  std::optional<Shape> input_shape;  // per sample; default: the model's static input shape
  InputNormalization normalization{1.0f, 0.0f, {}, {}};  // network input = pixel * scale + offset
  std::string name;                                      // default: the file's stem
  // Graph inputs given as constants (the backend test data passes weights as inputs).
  std::map<std::string, OnnxConstant> constant_inputs;
};

Network import_onnx(const std::filesystem::path& path, const OnnxImportOptions& options);

// A TensorProto file (the backend test data's input_N.pb / output_N.pb).
OnnxConstant read_onnx_tensor(const std::filesystem::path& path);

// ONNX op types the importer maps (for errors, `weightfault list` and docs/onnx.md).
const std::vector<std::string>& supported_onnx_ops();

}  // namespace weightfault::nn

// ONNX tensors as constants, and the evaluation at import of nodes whose inputs
// are all constants (initializers, Constant nodes, shapes of activations): the
// shape arithmetic PyTorch exports around dynamic batch axes.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "nn/onnx_import.h"

namespace weightfault::nn {

// The values of a TensorProto (raw or typed data; float16/bfloat16 widened).
OnnxConstant to_constant(const onnx::TensorProto& tensor);

bool is_foldable(const std::string& op_type);
const std::vector<std::string>& foldable_onnx_ops();

// The outputs of `node` from constant inputs (nullptr for an omitted optional input);
// throws std::invalid_argument for what it cannot evaluate.
std::vector<OnnxConstant> fold_constant(const onnx::NodeProto& node,
                                        const std::vector<const OnnxConstant*>& inputs, int opset);

}  // namespace weightfault::nn

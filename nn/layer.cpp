#include "nn/layer.h"

#include <utility>

namespace weightfault::nn {
namespace {

constexpr std::array<std::pair<LayerOp, std::string_view>, 14> kOpNames{{
    {LayerOp::input, "input"},
    {LayerOp::conv2d, "conv2d"},
    {LayerOp::dense, "dense"},
    {LayerOp::relu, "relu"},
    {LayerOp::clipped_relu, "clipped_relu"},
    {LayerOp::tanh, "tanh"},
    {LayerOp::max_pool, "max_pool"},
    {LayerOp::avg_pool, "avg_pool"},
    {LayerOp::global_avg_pool, "global_avg_pool"},
    {LayerOp::batch_norm, "batch_norm"},
    {LayerOp::add, "add"},
    {LayerOp::flatten, "flatten"},
    {LayerOp::softmax, "softmax"},
    {LayerOp::dropout, "dropout"},
}};

}  // namespace

std::string_view to_string(LayerOp op) {
  for (const auto& [value, name] : kOpNames) {
    if (value == op) return name;
  }
  return "?";
}

std::optional<LayerOp> layer_op_from_string(std::string_view name) {
  for (const auto& [value, text] : kOpNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

const std::vector<std::string>& known_layer_op_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& entry : kOpNames) out.emplace_back(entry.second);
    return out;
  }();
  return names;
}

std::vector<std::string> required_params(LayerOp op) {
  switch (op) {
    case LayerOp::conv2d:
    case LayerOp::dense:
      return {"kernel", "bias"};
    case LayerOp::batch_norm:
      return {"gamma", "beta", "moving_mean", "moving_variance"};
    default:
      return {};
  }
}

}  // namespace weightfault::nn

// Kernel, strides and padding of a pooling layer as oneDNN wants them, shared
// by the inference and training engines. A global average pool is a pool
// whose kernel is the whole input plane.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/layer.h"

namespace weightfault::nn {

struct PoolingGeometry {
  bool global = false;
  std::vector<std::int64_t> kernel, strides, pad_l, pad_r;
};

// `in_dims` are the input's [N, C, H, W].
inline PoolingGeometry pooling_geometry(const Layer& layer,
                                        const std::vector<std::int64_t>& in_dims) {
  PoolingGeometry g;
  g.global = layer.op == LayerOp::global_avg_pool;
  if (g.global) {
    g.kernel = {in_dims[2], in_dims[3]};
    g.strides = g.kernel;
    g.pad_l = g.pad_r = {0, 0};
  } else {
    g.kernel = {layer.kernel[0], layer.kernel[1]};
    g.strides = {layer.stride[0], layer.stride[1]};
    g.pad_l = {layer.padding[0], layer.padding[1]};
    g.pad_r = {layer.padding[2], layer.padding[3]};
  }
  return g;
}

}  // namespace weightfault::nn

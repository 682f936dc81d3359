// Algorithm, kernel, strides, padding and output dims of a pooling layer as
// oneDNN wants them, shared by the inference and training engines. A global
// average pool is a pool whose kernel is the whole input plane.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <vector>

#include "nn/layer.h"

namespace weightfault::nn {

struct PoolingGeometry {
  bool global = false;
  dnnl::algorithm algorithm = dnnl::algorithm::pooling_max;
  std::vector<std::int64_t> kernel, strides, pad_l, pad_r;
  std::vector<std::int64_t> dst_dims;  // [N, C, OH, OW]; a global pool's is [N, C, 1, 1]
};

// `in_dims` are the input's [N, C, H, W], `out_dims` the layer's batched output.
inline PoolingGeometry pooling_geometry(const Layer& layer,
                                        const std::vector<std::int64_t>& in_dims,
                                        const std::vector<std::int64_t>& out_dims) {
  PoolingGeometry g;
  g.global = layer.op == LayerOp::global_avg_pool;
  // Average pooling ignores padded cells, as Keras/TensorFlow 'same' pooling does.
  g.algorithm = layer.op == LayerOp::max_pool ? dnnl::algorithm::pooling_max
                                              : dnnl::algorithm::pooling_avg_exclude_padding;
  if (g.global) {
    g.kernel = {in_dims[2], in_dims[3]};
    g.strides = g.kernel;
    g.pad_l = g.pad_r = {0, 0};
    g.dst_dims = {in_dims[0], in_dims[1], 1, 1};
  } else {
    g.kernel = {layer.kernel[0], layer.kernel[1]};
    g.strides = {layer.stride[0], layer.stride[1]};
    g.pad_l = {layer.padding[0], layer.padding[1]};
    g.pad_r = {layer.padding[2], layer.padding[3]};
    g.dst_dims = out_dims;
  }
  return g;
}

}  // namespace weightfault::nn

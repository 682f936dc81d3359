// Small oneDNN helpers shared by the engines and the ops.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstddef>
#include <unordered_map>

#include "nn/layer.h"

namespace weightfault::nn {

using DnnlTag = dnnl::memory::format_tag;
using DnnlType = dnnl::memory::data_type;
using Args = std::unordered_map<int, dnnl::memory>;

// One primitive with its arguments, as the engines run them.
struct Step {
  dnnl::primitive primitive;
  Args args;
  std::size_t stage = 0;  // inference: position in topological order of the layer it computes
};

// [batch, ...shape]
inline dnnl::memory::dims batched(std::size_t batch, const Shape& shape) {
  dnnl::memory::dims dims{static_cast<dnnl::memory::dim>(batch)};
  dims.insert(dims.end(), shape.begin(), shape.end());
  return dims;
}

// Row-major strides of dims.
inline dnnl::memory::dims plain_strides(const dnnl::memory::dims& dims) {
  dnnl::memory::dims strides(dims.size(), 1);
  for (std::size_t d = dims.size(); d-- > 1;) strides[d - 1] = strides[d] * dims[d];
  return strides;
}

// The plain row-major layout of a tensor of any rank.
inline dnnl::memory::desc plain_desc(const dnnl::memory::dims& dims) {
  return dnnl::memory::desc(dims, DnnlType::f32, plain_strides(dims));
}

inline float* data_of(const dnnl::memory& m) {
  return static_cast<float*>(m.get_data_handle());
}
inline std::size_t elements_of(const dnnl::memory& m) {
  return m.get_desc().get_size() / sizeof(float);
}

}  // namespace weightfault::nn

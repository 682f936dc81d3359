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

// The plain row-major layout of a tensor of this rank.
inline DnnlTag plain_tag(std::size_t rank) {
  switch (rank) {
    case 1:
      return DnnlTag::a;
    case 2:
      return DnnlTag::ab;
    case 3:
      return DnnlTag::abc;
    case 4:
      return DnnlTag::abcd;
    default:
      return DnnlTag::abcde;
  }
}

inline dnnl::memory::desc plain_desc(const dnnl::memory::dims& dims) {
  return dnnl::memory::desc(dims, DnnlType::f32, plain_tag(dims.size()));
}

inline float* data_of(const dnnl::memory& m) {
  return static_cast<float*>(m.get_data_handle());
}
inline std::size_t elements_of(const dnnl::memory& m) {
  return m.get_desc().get_size() / sizeof(float);
}

}  // namespace weightfault::nn

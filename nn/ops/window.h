// Shared by the windowed ops (conv2d and the pools): the kernel/stride/padding
// attributes in model files and the output size of a window.
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <string>

#include "common/hdf5_file.h"
#include "common/input_error.h"
#include "nn/layer.h"

namespace weightfault::nn {

// Output size over one spatial axis; throws for a non-positive window or one larger than
// the padded input.
std::int64_t checked_window_output(const Layer& layer, std::int64_t in, int axis);

template <std::size_t N>
std::array<std::int64_t, N> read_int_array(const h5::Object& group, const std::string& key) {
  const auto values = h5::read_int_attribute(group, key);
  if (values.size() != N) {
    throw InputError(fmt::format("{}: attribute '{}' must hold {} integers, holds {}",
                                 group.where(), key, N, values.size()));
  }
  std::array<std::int64_t, N> out{};
  std::copy(values.begin(), values.end(), out.begin());
  return out;
}

inline void write_window(const h5::Object& group, const Layer& layer) {
  h5::write_int_attribute(group, "kernel", {layer.kernel[0], layer.kernel[1]});
  h5::write_int_attribute(group, "stride", {layer.stride[0], layer.stride[1]});
  h5::write_int_attribute(group, "padding",
                          {layer.padding[0], layer.padding[1], layer.padding[2], layer.padding[3]});
}

inline void read_window_attributes(const h5::Object& group, Layer& layer) {
  layer.kernel = read_int_array<2>(group, "kernel");
  layer.stride = read_int_array<2>(group, "stride");
  layer.padding = read_int_array<4>(group, "padding");
}

}  // namespace weightfault::nn

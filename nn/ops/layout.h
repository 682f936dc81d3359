// Shared by the ops that move values without computing (reshape, transpose, slice,
// gather, concat): integer-list attributes, shape arithmetic and row-major index
// helpers for their plain-loop references. On oneDNN they are reorders and concats
// between plain views, so they cost one copy of their output.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/dnnl_util.h"
#include "nn/network.h"
#include "nn/op.h"

namespace weightfault::nn {

inline std::int64_t volume_of(const Shape& s) {
  std::int64_t v = 1;
  for (const auto d : s) v *= d;
  return v;
}

// Row-major strides of a per-sample shape.
inline std::vector<std::int64_t> strides_of(const Shape& s) {
  std::vector<std::int64_t> strides(s.size(), 1);
  for (std::size_t d = s.size(); d-- > 1;) strides[d - 1] = strides[d] * s[d];
  return strides;
}

// Integer list `key` of a layer (fails naming the layer when it is missing).
inline const std::vector<std::int64_t>& list_of(const Layer& l, const std::string& key) {
  const auto it = l.lists.find(key);
  if (it == l.lists.end()) fail_layer(l, fmt::format("needs the integer list '{}'", key));
  return it->second;
}

inline void write_lists(const h5::Object& group, const Layer& l,
                        std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (l.lists.count(key)) h5::write_int_attribute(group, key, l.lists.at(key));
  }
}
inline void read_lists(const h5::Object& group, Layer& l, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (h5::has_attribute(group, key)) l.lists[key] = h5::read_int_attribute(group, key);
  }
}

// Integer attribute `key` (a number in Layer::attributes), or `fallback`.
inline std::int64_t int_attribute(const Layer& l, const std::string& key, std::int64_t fallback) {
  const auto it = l.attributes.find(key);
  return it == l.attributes.end() ? fallback : static_cast<std::int64_t>(it->second);
}
inline void write_int_attributes(const h5::Object& group, const Layer& l,
                                 std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (l.attributes.count(key))
      h5::write_int_attribute(group, key, {static_cast<std::int64_t>(l.attributes.at(key))});
  }
}
inline void read_int_attributes(const h5::Object& group, Layer& l,
                                std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (h5::has_attribute(group, key))
      l.attributes[key] = static_cast<double>(h5::read_int_attribute(group, key).at(0));
  }
}

// `mem` in the plain row-major layout (a reorder step when it is not).
inline dnnl::memory plain(InferenceBuilder& b, const dnnl::memory& mem) {
  return b.as_layout(mem, plain_desc(mem.get_desc().dims()));
}

// The same bytes seen with other dims (both plain).
inline dnnl::memory view(InferenceBuilder& b, const dnnl::memory& plain_mem,
                         const dnnl::memory::dims& dims) {
  return dnnl::memory(plain_desc(dims), b.engine(), plain_mem.get_data_handle());
}

// Copies the box of `from` (plain, dims `from_dims`) at `from_offsets` into the box of `to`
// at `to_offsets`: one reorder between sub-memory views.
inline void copy_box(InferenceBuilder& b, const dnnl::memory& from, const dnnl::memory::dims& box,
                     const dnnl::memory::dims& from_offsets, const dnnl::memory& to,
                     const dnnl::memory::dims& to_offsets) {
  const dnnl::memory src(from.get_desc().submemory_desc(box, from_offsets), b.engine(),
                         from.get_data_handle());
  const dnnl::memory dst(to.get_desc().submemory_desc(box, to_offsets), b.engine(),
                         to.get_data_handle());
  b.add_step(dnnl::reorder(src, dst), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
}

}  // namespace weightfault::nn

// The stored image of a network in one dtype: every weight tensor encoded
// bit-exactly into words and placed in the linear address space. Built once
// per dtype and then immutable, shared by all trials and threads (golden data
// is never written; each trial applies faults to its own copy).
//
// Segments: "<layer>/kernel" and "<layer>/bias" for every conv2d and dense
// layer, in topological order; with int8_sym and the scale in fault-prone
// memory, also "<layer>/kernel/scale" and "<layer>/bias/scale" (one fp32 word).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "memory_models/placement.h"
#include "nn/encoding.h"
#include "nn/network.h"

namespace weightfault::sim {

struct DTypeSpec {
  nn::Encoding encoding;                                // model-wide
  std::map<std::string, nn::Encoding> layer_overrides;  // layer name -> encoding
  bool scale_in_memory = false;                         // int8_sym: scale word is fault-prone
  std::string label() const { return encoding.name(); }
};

struct StoredTensor {
  std::size_t layer = 0;
  std::string role;  // "kernel" or "bias"
  nn::Encoding encoding;
  std::size_t segment = 0;
  std::size_t scale_segment = SIZE_MAX;  // SIZE_MAX: scale kept outside fault-prone memory
  float scale = 1.0f;                    // int8_sym
  std::size_t elements = 0;
};

class StoredImage {
 public:
  StoredImage(const nn::Network& network, const DTypeSpec& dtype, memory::PlacementPolicy policy,
              const memory::AddressMapping& mapping);

  const std::string& label() const { return label_; }
  const memory::Placement& placement() const { return placement_; }
  const std::vector<std::uint8_t>& golden_bytes() const { return bytes_; }
  const std::vector<StoredTensor>& tensors() const { return tensors_; }
  // What a fault-free read decodes to (the dtype's quantized weights).
  const std::vector<float>& golden_values(std::size_t tensor) const {
    return golden_values_[tensor];
  }
  // Tensor index of a segment (SIZE_MAX for none); scale segments map to their tensor.
  std::size_t tensor_of_segment(std::size_t segment) const { return tensor_of_segment_[segment]; }
  // Bits per word of the tensor that owns a segment.
  int word_bits(std::size_t tensor) const { return tensors_[tensor].encoding.bits(); }
  // Largest word of any tensor (for per-bit-position statistics).
  int max_word_bits() const;

  // Decodes tensor `t` from `image` (a possibly faulted copy of golden_bytes()).
  float scale_in(std::size_t t, std::span<const std::uint8_t> image) const;
  float decode(std::size_t t, std::size_t element, std::span<const std::uint8_t> image) const;
  std::span<const std::uint8_t> words(std::size_t t, std::span<const std::uint8_t> image) const;

 private:
  std::string label_;
  std::vector<StoredTensor> tensors_;  // before placement_: its initializer fills it
  memory::Placement placement_;
  std::vector<std::uint8_t> bytes_;
  std::vector<std::vector<float>> golden_values_;
  std::vector<std::size_t> tensor_of_segment_;
};

}  // namespace weightfault::sim

// The stored image of a set of tensors under one protection and one dtype:
// every tensor transformed by the chain's value stages, encoded bit-exactly
// into words, given the check words of its stages, and placed in the linear
// address space. Built once per (protection, dtype) and then immutable, shared
// by all trials and threads (golden data is never written; each trial applies
// faults to its own copy and decodes only the groups its faults touched).
//
// Segments, per tensor in the order given: "<tensor>" (the weights),
// "<tensor>/scale" (a dtype's per-tensor scale in fault-prone memory: one fp32
// word), then each bound stage's own words in chain order, e.g.
// "<tensor>/parity", "<tensor>/ecc" (check bytes) and "<tensor>/crc"
// (layer_drop's CRC-32 per chunk).
//
// A decode group is the set of weights read together: one weight, or the
// weights of one codeword under a code (secded, word-granular parity).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "memory_models/placement.h"
#include "storage/dtype.h"
#include "storage/protection.h"

namespace weightfault::storage {

// How a campaign stores a model: the model-wide dtype, per-owner overrides, and
// whether a per-tensor scale word sits in fault-prone memory.
struct DTypeSpec {
  DType dtype;
  std::map<std::string, DType> owner_overrides;  // owner (layer) name -> dtype
  bool scale_in_memory = false;                  // int8_sym: the scale word is fault-prone
  std::string label() const { return dtype.name(); }
};

// One tensor to store: a named float array and what protections need to know of it.
struct TensorToStore {
  std::string name;   // its segment name, e.g. "conv2d_2/kernel"
  std::string owner;  // the op it belongs to, e.g. "conv2d_2"
  std::string role;   // its role there, e.g. "kernel"
  std::span<const float> values;
  bool detachable = false;  // a trained sub-model runs without its owner (layer_drop)
};

struct StoredTensor {
  std::string name, owner, role;
  DType dtype;
  std::size_t elements = 0;
  bool detachable = false;
  std::size_t segment = 0;               // the data words
  std::size_t scale_segment = SIZE_MAX;  // SIZE_MAX: the per-tensor scale is kept outside memory
  float dtype_scale = 1.0f;              // per-tensor scale of scaled-integer dtypes
  std::size_t group_elements = 1;        // weights per decode group (a code's data word)
  std::vector<std::unique_ptr<TensorStage>> stages;  // the chain's stages bound here, in order
  const TensorStage* code = nullptr;                 // the code among them
  const TensorStage* check = nullptr;                // the chunk check among them
  std::size_t groups() const { return (elements + group_elements - 1) / group_elements; }
  std::size_t check_chunks() const { return check != nullptr ? check->check_chunks() : 0; }
  // Bits of one group's data words: [first weight, last weight).
  std::pair<std::size_t, std::size_t> group_bounds(std::size_t group) const;
};

class StoredImage {
 public:
  StoredImage(std::span<const TensorToStore> tensors, const ModelFacts& model,
              const ProtectionSpec& protection, const DTypeSpec& dtype,
              memory::PlacementPolicy policy, const memory::AddressMapping& mapping);

  const std::string& label() const { return label_; }
  const std::string& protection() const { return protection_; }
  const memory::Placement& placement() const { return placement_; }
  const std::vector<std::uint8_t>& golden_bytes() const { return bytes_; }
  // Data bits of group `group` of tensor `t` in the golden image (what a fault-free read
  // delivers).
  std::uint64_t golden_group_bits(std::size_t t, std::size_t group) const {
    return raw_group_bits(tensors_[t], group, bytes_);
  }
  const std::vector<StoredTensor>& tensors() const { return tensors_; }
  // What a fault-free read decodes to (quantized, and after the protection's decode).
  const std::vector<float>& golden_values(std::size_t tensor) const {
    return golden_values_[tensor];
  }
  // Largest word of any segment (for per-bit-position statistics).
  int max_word_bits() const;
  // Stored bits per weight, data and checks (the memory overhead).
  double bits_per_weight() const;
  // Whether a scrub can write corrections back (the chain's code corrects).
  bool scrubs() const;
  bool has_chunk_checks() const;
  // The tensor a segment belongs to (SIZE_MAX: none).
  std::size_t tensor_of_segment(std::size_t segment) const {
    return segment_owner_[segment].tensor;
  }

  // The groups whose decoding depends on word `word` of segment `segment`.
  GroupRange groups_of(std::size_t segment, std::uint64_t word) const;
  // The check chunks whose result depends on word `word` of segment `segment`.
  GroupRange chunks_of(std::size_t segment, std::uint64_t word) const;
  // Whether chunk `chunk` of tensor `t` passes its check in `image`.
  bool chunk_intact(std::size_t t, std::size_t chunk, std::span<const std::uint8_t> image) const;

  // Decodes group `group` of tensor `t` from `image` into values[t-elements].
  // Returns how many detected (uncorrectable or zeroed) errors the read met; `read`, when
  // given, receives the group as the code delivered it.
  std::size_t decode_group(std::size_t t, std::size_t group, std::span<const std::uint8_t> image,
                           std::span<float> values, GroupRead* read = nullptr) const;
  // Group `group` of tensor `t` as the code delivers it (raw when there is no code).
  GroupRead read_group(std::size_t t, std::size_t group, std::span<const std::uint8_t> image) const;
  // Memory bits of one codeword: the group's data bits and its check word.
  std::vector<std::uint64_t> codeword_bits(std::size_t t, std::size_t group) const;

  // For stages: the first byte of a segment, and a tensor's per-tensor scale as stored.
  std::size_t first_byte(std::size_t segment) const { return placement_.first_bit(segment) / 8; }
  float tensor_scale_in(const StoredTensor& st, std::span<const std::uint8_t> image) const;
  // The raw data bits of group `group` (partial groups read as if padded with zeros).
  std::uint64_t raw_group_bits(const StoredTensor& st, std::size_t group,
                               std::span<const std::uint8_t> image) const;

 private:
  struct SegmentOwner {
    std::size_t tensor = SIZE_MAX;
    SegmentRole role = SegmentRole::other;
    const TensorStage* stage = nullptr;  // SegmentRole::code and ::own
  };
  void plan(std::span<const TensorToStore> tensors, const ModelFacts& model,
            const ProtectionSpec& protection, const DTypeSpec& dtype,
            const memory::Geometry& geometry, std::vector<memory::Segment>& segments);
  void encode(std::span<const TensorToStore> tensors);
  void decode_golden();

  std::string label_;
  std::string protection_;
  std::vector<StoredTensor> tensors_;
  std::vector<SegmentOwner> segment_owner_;
  std::size_t weights_ = 0;
  memory::Placement placement_;  // after the members its initializer (plan) fills
  std::vector<std::uint8_t> bytes_;
  std::vector<std::vector<float>> golden_values_;
};

// `count` bits starting at linear bit `first_bit` of `bytes`, little-endian (count <= 64);
// bits past the end read as zero.
std::uint64_t load_bits(std::span<const std::uint8_t> bytes, std::uint64_t first_bit, int count);
// Stores the low `count` bits of `value` at `first_bit`.
void store_bits(std::span<std::uint8_t> bytes, std::uint64_t first_bit, int count,
                std::uint64_t value);

}  // namespace weightfault::storage

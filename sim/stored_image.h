// The stored image of a network under one protection and one dtype: every
// weight tensor transformed (scale), encoded bit-exactly into words, given
// its check words (parity_zero, secded), and placed in the linear address
// space. Built once per (protection, dtype) and then immutable, shared by all
// trials and threads (golden data is never written; each trial applies
// faults to its own copy and decodes only the groups its faults touched).
//
// Segments, per conv2d/dense layer in topological order, for role in
// {kernel, bias}: "<layer>/<role>" (the weights), "<layer>/<role>/scale"
// (int8_sym with its scale in fault-prone memory: one fp32 word), and
// "<layer>/<role>/parity" or "<layer>/<role>/ecc" (check words, 8 bits each),
// and, under layer_drop, "<layer>/<role>/crc" (one CRC-32 word per chunk of a
// detachable layer's weights: over the chunk's words as read -- after SEC-DED
// correction when the chain has secded -- and the int8 scale word).
//
// A decode group is the set of weights read together: one weight, or the
// weights of one 64-bit word under secded and word-granular parity.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "memory_models/placement.h"
#include "nn/encoding.h"
#include "nn/network.h"
#include "nn/protection.h"
#include "nn/training_engine.h"

namespace weightfault::sim {

struct DTypeSpec {
  nn::Encoding encoding;                                // model-wide
  std::map<std::string, nn::Encoding> layer_overrides;  // layer name -> encoding
  bool scale_in_memory = false;                         // int8_sym: scale word is fault-prone
  std::string label() const { return encoding.name(); }
};

enum class CheckKind { none, parity_weight, parity_word, secded };

struct StoredTensor {
  std::size_t layer = 0;
  std::string role;  // "kernel" or "bias"
  nn::Encoding encoding;
  std::size_t elements = 0;
  std::size_t segment = 0;
  std::size_t scale_segment = SIZE_MAX;  // SIZE_MAX: int8 scale kept outside fault-prone memory
  float int8_scale = 1.0f;               // int8_sym
  float weight_scale = 1.0f;             // protection `scale`: stored = w * weight_scale
  bool clamp = false;                    // protection `clamp`
  float clamp_min = 0.0f, clamp_max = 0.0f;
  CheckKind check = CheckKind::none;
  std::size_t check_segment = SIZE_MAX;
  bool zero_uncorrectable = true;                  // secded policy
  const nn::WeightTransform* transform = nullptr;  // saf: kernels read as f(decoded)
  std::size_t group_elements = 1;                  // weights per decode group
  std::size_t groups() const { return (elements + group_elements - 1) / group_elements; }
  std::size_t crc_segment = SIZE_MAX;  // layer_drop: SIZE_MAX for layers that cannot be detached
  std::size_t crc_chunk = 0;           // weights per CRC word
  std::size_t crc_chunks() const {
    return crc_segment == SIZE_MAX ? 0 : (elements + crc_chunk - 1) / crc_chunk;
  }
};

// Bounds of the weight groups one stored word belongs to: [first, last).
struct GroupRange {
  std::size_t tensor = SIZE_MAX;
  std::size_t first = 0, last = 0;
};

// The saf stage's function for `network` (nullptr without saf); throws InputError
// for f = auto on a model trained without a weight transform.
const nn::WeightTransform* saf_transform(const nn::Network& network,
                                         const nn::ProtectionSpec& protection);

class StoredImage {
 public:
  StoredImage(const nn::Network& network, const nn::ProtectionSpec& protection,
              const DTypeSpec& dtype, memory::PlacementPolicy policy,
              const memory::AddressMapping& mapping);

  const std::string& label() const { return label_; }
  const std::string& protection() const { return protection_; }
  const memory::Placement& placement() const { return placement_; }
  const std::vector<std::uint8_t>& golden_bytes() const { return bytes_; }
  const std::vector<StoredTensor>& tensors() const { return tensors_; }
  // What a fault-free read decodes to (quantized, and after the protection's decode).
  const std::vector<float>& golden_values(std::size_t tensor) const {
    return golden_values_[tensor];
  }
  // Largest word of any segment (for per-bit-position statistics).
  int max_word_bits() const;
  // Stored bits per weight, data and checks (the memory overhead).
  double bits_per_weight() const;

  // The groups whose decoding depends on word `word` of segment `segment`.
  GroupRange groups_of(std::size_t segment, std::uint64_t word) const;
  // The CRC chunks whose check depends on word `word` of segment `segment` (layer_drop).
  GroupRange chunks_of(std::size_t segment, std::uint64_t word) const;
  // Whether chunk `chunk` of tensor `t` passes its CRC check in `image`.
  bool chunk_intact(std::size_t t, std::size_t chunk, std::span<const std::uint8_t> image) const;
  bool has_crc() const;

  // Decodes group `group` of tensor `t` from `image` into values[t-elements].
  // Returns how many uncorrectable/zeroed detections happened.
  std::size_t decode_group(std::size_t t, std::size_t group, std::span<const std::uint8_t> image,
                           std::span<float> values) const;

 private:
  // CRC-32 of a chunk's words as read (after SEC-DED correction); nullopt when a word of
  // the chunk is uncorrectable.
  std::optional<std::uint32_t> chunk_crc(const StoredTensor& st, std::size_t chunk,
                                         std::span<const std::uint8_t> image) const;
  float int8_scale_in(const StoredTensor& st, std::span<const std::uint8_t> image) const;
  std::span<const std::uint8_t> data_bytes(const StoredTensor& st,
                                           std::span<const std::uint8_t> image) const;

  std::string label_;
  std::string protection_;
  std::vector<StoredTensor> tensors_;  // before placement_: its initializer fills it
  memory::Placement placement_;
  std::vector<std::uint8_t> bytes_;
  std::vector<std::vector<float>> golden_values_;
  std::vector<std::size_t> tensor_of_segment_;
  std::size_t weights_ = 0;
};

}  // namespace weightfault::sim

// Placement of a stored image's segments (e.g. weight tensors) in the linear
// address space: packed one after another, or each starting on a row
// boundary. Maps both ways between a linear bit and (segment, word, bit).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "memory_models/address_mapping.h"

namespace weightfault::memory {

struct Segment {
  std::string name;
  std::uint64_t words = 0;
  std::uint32_t word_bits = 32;  // any width; segments start on a byte boundary
};

enum class PlacementPolicy { packed, row_aligned };

struct SegmentBit {
  std::size_t segment = 0;
  std::uint64_t word = 0;
  std::uint32_t bit = 0;  // within the word, 0 = least significant
};

class Placement {
 public:
  // Throws InputError if the segments do not fit in the memory.
  Placement(std::vector<Segment> segments, PlacementPolicy policy, const AddressMapping& mapping);

  const std::vector<Segment>& segments() const { return segments_; }
  std::uint64_t first_bit(std::size_t segment) const { return first_bit_[segment]; }
  // One past the last placed bit: faults beyond it touch nothing of this image.
  std::uint64_t extent_bits() const { return extent_bits_; }
  std::optional<std::size_t> find(const std::string& name) const;

  std::uint64_t linear_bit(std::size_t segment, std::uint64_t word, std::uint32_t bit) const;
  // nullopt for a bit in no segment (padding between segments or beyond).
  std::optional<SegmentBit> locate(std::uint64_t linear_bit) const;

 private:
  std::vector<Segment> segments_;
  std::vector<std::uint64_t> first_bit_;
  std::uint64_t extent_bits_ = 0;
};

}  // namespace weightfault::memory

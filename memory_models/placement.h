// Placement of a stored image's segments (e.g. weight tensors) in memory.
//
// Two coordinates: an *image bit* is a position in the stored image's byte array
// (segments one after another, byte-aligned -- what StoredImage, codes and the
// campaign read and write); a *memory bit* is a linear bit of the memory
// (memory_models/address_mapping.h: bus word x bus width + bit), which fault models
// draw over. Segments are placed packed or each starting on a row boundary.
//
// A memory with ECC devices (Geometry::ecc_chips) has a bus word of data lanes
// (the data devices) and ECC lanes (the ECC devices): ordinary segments fill the
// data lanes only, each starting on a bus word, and a *sideband* segment (a code's
// check symbols) lies in the ECC lanes of its owner segment's bus words, one word per
// bus word -- so a codeword of one bus word has its data and its check symbols on
// distinct devices, as on an ECC DIMM. Without ECC devices both coordinates coincide.
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
  // A sideband segment: in the ECC lanes of this segment's bus words (SIZE_MAX: data lanes).
  std::size_t sideband_of = SIZE_MAX;
};

enum class PlacementPolicy { packed, row_aligned };

struct SegmentBit {
  std::size_t segment = 0;
  std::uint64_t word = 0;
  std::uint32_t bit = 0;  // within the word, 0 = least significant
};

class Placement {
 public:
  // Throws InputError if the segments do not fit in the memory, or a sideband segment has
  // no ECC lanes to go to.
  Placement(std::vector<Segment> segments, PlacementPolicy policy, const AddressMapping& mapping);

  const std::vector<Segment>& segments() const { return segments_; }
  // Image bit of a segment's first bit.
  std::uint64_t first_bit(std::size_t segment) const { return first_bit_[segment]; }
  // Bits of the stored image (its byte array holds them).
  std::uint64_t image_bits() const { return image_bits_; }
  // One past the last memory bit of any segment: faults beyond it touch nothing here.
  std::uint64_t extent_bits() const { return extent_bits_; }
  std::optional<std::size_t> find(const std::string& name) const;

  // Image bit of (segment, word, bit), and back (nullopt: padding between segments).
  std::uint64_t image_bit(std::size_t segment, std::uint64_t word, std::uint32_t bit) const;
  std::optional<SegmentBit> locate(std::uint64_t image_bit) const;

  // Memory bit that holds an image bit, and the image bit a memory bit holds (nullopt: none).
  std::uint64_t memory_bit(std::uint64_t image_bit) const;
  std::optional<std::uint64_t> image_bit_at(std::uint64_t memory_bit) const;

 private:
  std::optional<std::size_t> segment_of_image_bit(std::uint64_t image_bit) const;

  std::vector<Segment> segments_;
  std::vector<std::uint64_t> first_bit_;   // image bits
  std::vector<std::uint64_t> first_lane_;  // data-lane position (data segments)
  std::vector<std::size_t> sideband_;      // the sideband segment of a data segment
  std::vector<std::size_t> by_lane_;       // data segments in data-lane order
  std::uint64_t image_bits_ = 0;
  std::uint64_t extent_bits_ = 0;
  std::uint64_t bus_bits_ = 0, data_bits_ = 0;  // per bus word
  bool lanes_ = false;                          // the memory has ECC lanes
};

}  // namespace weightfault::memory

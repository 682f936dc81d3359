#include "memory_models/placement.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/input_error.h"

namespace weightfault::memory {

Placement::Placement(std::vector<Segment> segments, PlacementPolicy policy,
                     const AddressMapping& mapping)
    : segments_(std::move(segments)) {
  const std::uint64_t align =
      policy == PlacementPolicy::row_aligned ? mapping.row_alignment_bits() : 8;
  std::uint64_t next = 0;
  for (const auto& s : segments_) {
    next = (next + align - 1) / align * align;
    first_bit_.push_back(next);
    next += s.words * s.word_bits;
  }
  extent_bits_ = next;
  const std::uint64_t capacity = mapping.geometry().total_bits();
  if (extent_bits_ > capacity) {
    throw InputError(fmt::format(
        "the stored image needs {} bits but the memory holds {} bits; enlarge the geometry",
        extent_bits_, capacity));
  }
}

std::optional<std::size_t> Placement::find(const std::string& name) const {
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].name == name) return i;
  }
  return std::nullopt;
}

std::uint64_t Placement::linear_bit(std::size_t segment, std::uint64_t word,
                                    std::uint32_t bit) const {
  return first_bit_[segment] + word * segments_[segment].word_bits + bit;
}

std::optional<SegmentBit> Placement::locate(std::uint64_t linear_bit) const {
  const auto it = std::upper_bound(first_bit_.begin(), first_bit_.end(), linear_bit);
  if (it == first_bit_.begin()) return std::nullopt;
  const auto segment = static_cast<std::size_t>(it - first_bit_.begin() - 1);
  const std::uint64_t offset = linear_bit - first_bit_[segment];
  const auto& s = segments_[segment];
  if (offset >= s.words * s.word_bits) return std::nullopt;
  return SegmentBit{segment, offset / s.word_bits,
                    static_cast<std::uint32_t>(offset % s.word_bits)};
}

}  // namespace weightfault::memory

#include "memory_models/placement.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/input_error.h"

namespace weightfault::memory {

Placement::Placement(std::vector<Segment> segments, PlacementPolicy policy,
                     const AddressMapping& mapping)
    : segments_(std::move(segments)) {
  const Geometry& g = mapping.geometry();
  bus_bits_ = g.bus_width();
  data_bits_ = g.data_width();
  lanes_ = data_bits_ != bus_bits_;
  // Alignment in data lanes: a row of data lanes, a bus word (so codewords of one bus word
  // line up with their sideband), or a byte.
  const std::uint64_t row = mapping.row_alignment_bits() / bus_bits_ * data_bits_;
  const std::uint64_t align =
      policy == PlacementPolicy::row_aligned ? row : (lanes_ ? data_bits_ : 8);
  std::uint64_t image_next = 0, lane_next = 0;
  first_lane_.assign(segments_.size(), 0);
  sideband_.assign(segments_.size(), SIZE_MAX);
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const auto& s = segments_[i];
    image_next = (image_next + 7) / 8 * 8;
    first_bit_.push_back(image_next);
    image_next += s.words * s.word_bits;
    if (s.sideband_of != SIZE_MAX) {
      const auto& owner = segments_.at(s.sideband_of);
      const std::uint64_t owner_words =
          (owner.words * owner.word_bits + data_bits_ - 1) / std::max<std::uint64_t>(data_bits_, 1);
      if (!lanes_ || s.word_bits > bus_bits_ - data_bits_ || s.words > owner_words) {
        throw InputError(fmt::format(
            "segment '{}' needs {} bits of ECC lanes beside each bus word of '{}', but the memory "
            "has {} ({} ECC devices); set [memory] ecc_chips",
            s.name, s.word_bits, owner.name, bus_bits_ - data_bits_, g.ecc_chips));
      }
      sideband_[s.sideband_of] = i;
      continue;
    }
    lane_next = (lane_next + align - 1) / align * align;
    first_lane_[i] = lane_next;
    lane_next += s.words * s.word_bits;
    by_lane_.push_back(i);
  }
  image_bits_ = image_next;
  const std::uint64_t capacity = g.words() * data_bits_;
  if (lane_next > capacity) {
    throw InputError(fmt::format(
        "the stored image needs {} bits but the memory holds {} bits; enlarge the geometry",
        lane_next, capacity));
  }
  extent_bits_ = lanes_ ? (lane_next + data_bits_ - 1) / data_bits_ * bus_bits_ : lane_next;
}

std::optional<std::size_t> Placement::find(const std::string& name) const {
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].name == name) return i;
  }
  return std::nullopt;
}

std::uint64_t Placement::image_bit(std::size_t segment, std::uint64_t word,
                                   std::uint32_t bit) const {
  return first_bit_[segment] + word * segments_[segment].word_bits + bit;
}

std::optional<std::size_t> Placement::segment_of_image_bit(std::uint64_t image_bit) const {
  const auto it = std::upper_bound(first_bit_.begin(), first_bit_.end(), image_bit);
  if (it == first_bit_.begin()) return std::nullopt;
  const auto segment = static_cast<std::size_t>(it - first_bit_.begin() - 1);
  const auto& s = segments_[segment];
  if (image_bit - first_bit_[segment] >= s.words * s.word_bits) return std::nullopt;
  return segment;
}

std::optional<SegmentBit> Placement::locate(std::uint64_t image_bit) const {
  const auto segment = segment_of_image_bit(image_bit);
  if (!segment) return std::nullopt;
  const std::uint64_t offset = image_bit - first_bit_[*segment];
  const auto& s = segments_[*segment];
  return SegmentBit{*segment, offset / s.word_bits,
                    static_cast<std::uint32_t>(offset % s.word_bits)};
}

std::uint64_t Placement::memory_bit(std::uint64_t image_bit) const {
  if (!lanes_) {
    // Without ECC lanes data lanes are the memory; segments keep their image offsets there.
    const auto segment = segment_of_image_bit(image_bit);
    return segment ? first_lane_[*segment] + (image_bit - first_bit_[*segment]) : image_bit;
  }
  const auto segment = segment_of_image_bit(image_bit);
  if (!segment) return extent_bits_;  // padding: no memory bit
  const auto& s = segments_[*segment];
  const std::uint64_t offset = image_bit - first_bit_[*segment];
  if (s.sideband_of == SIZE_MAX) {
    const std::uint64_t lane = first_lane_[*segment] + offset;
    return lane / data_bits_ * bus_bits_ + lane % data_bits_;
  }
  const std::uint64_t bus_word = first_lane_[s.sideband_of] / data_bits_ + offset / s.word_bits;
  return bus_word * bus_bits_ + data_bits_ + offset % s.word_bits;
}

std::optional<std::uint64_t> Placement::image_bit_at(std::uint64_t memory_bit) const {
  const std::uint64_t bus_word = lanes_ ? memory_bit / bus_bits_ : 0;
  const std::uint64_t in_word = lanes_ ? memory_bit % bus_bits_ : memory_bit;
  const bool sideband = lanes_ && in_word >= data_bits_;
  const std::uint64_t lane = lanes_ ? bus_word * data_bits_ + (sideband ? 0 : in_word) : memory_bit;
  // The data segment whose lanes hold `lane`.
  const auto it =
      std::upper_bound(by_lane_.begin(), by_lane_.end(), lane,
                       [&](std::uint64_t v, std::size_t i) { return v < first_lane_[i]; });
  if (it == by_lane_.begin()) return std::nullopt;
  const std::size_t data = *(it - 1);
  const auto& d = segments_[data];
  if (!sideband) {
    const std::uint64_t offset = lane - first_lane_[data];
    if (offset >= d.words * d.word_bits) return std::nullopt;
    return first_bit_[data] + offset;
  }
  const std::size_t side = sideband_[data];
  if (side == SIZE_MAX) return std::nullopt;
  const auto& s = segments_[side];
  const std::uint64_t word = bus_word - first_lane_[data] / data_bits_;
  const std::uint64_t bit = in_word - data_bits_;
  if (first_lane_[data] % data_bits_ != 0 || word >= s.words || bit >= s.word_bits)
    return std::nullopt;
  return first_bit_[side] + word * s.word_bits + bit;
}

}  // namespace weightfault::memory

#include "memory_models/fault_map.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/input_error.h"

namespace weightfault::memory {

std::string_view to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::flip:
      return "flip";
    case FaultKind::stuck_at_0:
      return "stuck_at_0";
    case FaultKind::stuck_at_1:
      return "stuck_at_1";
  }
  return "?";
}

void FaultMap::clear() {
  records_.clear();
  bits_.clear();
  logical_.clear();
}

void FaultMap::clear_flips_at_rewrites(double interval_s) {
  const auto next_rewrite = [&](double onset_s) {
    return (std::floor(onset_s / interval_s) + 1.0) * interval_s;
  };
  for (auto& f : bits_) {
    if (f.kind == FaultKind::flip) f.clear_s = std::min(f.clear_s, next_rewrite(f.onset_s));
  }
  for (auto& r : records_) {
    if (r.kind == FaultKind::flip) r.clear_s = std::min(r.clear_s, next_rewrite(r.onset_s));
  }
}

ApplyResult FaultMap::apply(double t_s, const AddressMapping& mapping, const Placement& placement,
                            std::span<std::uint8_t> image) const {
  ApplyResult result;
  const std::uint64_t extent = placement.extent_bits();
  // `at` is an image bit (memory bits are translated by the placement).
  const auto write = [&](std::uint64_t at, FaultKind kind) {
    auto& byte = image[at / 8];
    const auto mask = static_cast<std::uint8_t>(1u << (at % 8));
    switch (kind) {
      case FaultKind::flip:
        byte ^= mask;
        break;
      case FaultKind::stuck_at_0:
        byte &= static_cast<std::uint8_t>(~mask);
        break;
      case FaultKind::stuck_at_1:
        byte |= mask;
        break;
    }
    result.touched_bits.push_back(at);
  };
  // Two passes: flips, then stuck-at cells (a stuck cell reads its stuck value).
  for (const bool stuck_pass : {false, true}) {
    const auto in_pass = [&](FaultKind k) { return (k != FaultKind::flip) == stuck_pass; };
    for (const auto& f : bits_) {
      if (!in_pass(f.kind) || !f.active_at(t_s) || f.linear_bit >= extent) continue;
      const auto at = placement.image_bit_at(f.linear_bit);
      if (!at) continue;  // padding between segments, an unused ECC lane
      write(*at, f.kind);
      ++result.records_touching;
    }
    for (const auto& r : records_) {
      if (!in_pass(r.kind) || !r.active_at(t_s)) continue;
      bool touched = false;
      for_each_matching_bit(r, mapping, extent, [&](std::uint64_t linear) {
        const auto at = placement.image_bit_at(linear);
        if (!at) return;
        write(*at, r.kind);
        touched = true;
      });
      if (touched) ++result.records_touching;
    }
    for (const auto& f : logical_) {
      if (!in_pass(f.kind)) continue;
      const auto segment = placement.find(f.segment);
      if (!segment) {
        throw InputError(
            fmt::format("fault on '{}': no such tensor in the stored image", f.segment));
      }
      const auto& s = placement.segments()[*segment];
      if (f.element >= s.words || f.bit >= s.word_bits) {
        throw InputError(
            fmt::format("fault on '{}' element {} bit {}: outside the tensor ({} words of {} bits)",
                        f.segment, f.element, f.bit, s.words, s.word_bits));
      }
      write(placement.image_bit(*segment, f.element, f.bit), f.kind);
      ++result.records_touching;
    }
  }
  return result;
}

}  // namespace weightfault::memory

// A fault record, as in FaultSim (Nair, Roberts & Qureshi, 2015): an address
// plus a mask over the geometry fields, so one record is a bit, word, column,
// row, bank or chip fault; a kind; onset and clear times; and which fault
// model of the scenario made it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>

#include "memory_models/geometry.h"

namespace weightfault::memory {

enum class FaultKind : std::uint8_t { flip = 0, stuck_at_0 = 1, stuck_at_1 = 2 };
std::string_view to_string(FaultKind kind);

inline constexpr double kNever = std::numeric_limits<double>::infinity();

// Matches every physical bit that equals `address` on the fields not in
// `wildcard` (one bit per Field: 1 = any value). A record belongs to one
// device: a wildcard bit field means any bit of the chip that holds
// address.bit (device_width bits of the bus), not the whole bus.
struct FaultRecord {
  PhysicalAddress address;
  std::uint8_t wildcard = 0;
  FaultKind kind = FaultKind::flip;
  std::uint16_t model = 0;  // index of the fault model in the scenario
  double onset_s = 0.0;
  double clear_s = kNever;  // cleared by a rewrite, or transient end

  bool is_wild(Field f) const { return (wildcard >> static_cast<int>(f)) & 1u; }
  bool active_at(double t_s) const { return onset_s <= t_s && t_s < clear_s; }
  // Whether the record covers physical bit `a` (a wildcard bit: any bit of its device).
  bool covers(const PhysicalAddress& a, const Geometry& g) const {
    for (int f = 0; f < kFieldCount; ++f) {
      const auto field = static_cast<Field>(f);
      if (field == Field::bit && is_wild(field)) {
        if (a.chip(g) != address.chip(g)) return false;
        continue;
      }
      if (!is_wild(field) && a.get(field) != address.get(field)) return false;
    }
    return true;
  }
};

inline constexpr std::uint8_t wildcard_of(std::initializer_list<Field> fields) {
  std::uint8_t mask = 0;
  for (const Field f : fields) mask = static_cast<std::uint8_t>(mask | (1u << static_cast<int>(f)));
  return mask;
}

// A single-bit fault kept in compact form: the linear bit address (the
// mapping is a bijection, so this is the same physical bit).
struct BitFault {
  std::uint64_t linear_bit = 0;
  FaultKind kind = FaultKind::flip;
  std::uint16_t model = 0;
  double onset_s = 0.0;
  double clear_s = kNever;

  bool active_at(double t_s) const { return onset_s <= t_s && t_s < clear_s; }
};

// A fault named by what it hits in the stored image instead of where it is:
// bit `bit` of word `element` of segment `segment` (e.g. a weight tensor).
// Resolved through each image's own placement (fault_list replays).
struct LogicalFault {
  std::string segment;
  std::uint64_t element = 0;
  std::uint32_t bit = 0;
  FaultKind kind = FaultKind::flip;
  std::uint16_t model = 0;
};

}  // namespace weightfault::memory

// Memory geometry: channels x ranks x banks x rows x columns of bus-wide
// words; a rank's bus is `chips` devices of `device_width` bits each, so a
// word is bus_width = chips * device_width bits and bit b of the bus belongs
// to chip b / device_width.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace weightfault::memory {

enum class Field : int { channel = 0, rank, bank, row, column, bit };
inline constexpr int kFieldCount = 6;
std::string_view to_string(Field field);

struct Geometry {
  std::uint64_t channels = 1;
  std::uint64_t ranks = 1;
  std::uint64_t chips = 8;         // data devices per rank
  std::uint64_t ecc_chips = 0;     // ECC devices per rank beside them (check symbols only)
  std::uint64_t device_width = 8;  // bits per device (x4, x8, x16)
  std::uint64_t banks = 8;
  std::uint64_t rows = 65536;
  std::uint64_t columns = 1024;

  // A bus word: the data devices' bits, then the ECC devices' (ECC lanes).
  std::uint64_t bus_width() const { return (chips + ecc_chips) * device_width; }
  std::uint64_t data_width() const { return chips * device_width; }
  std::uint64_t devices_per_rank() const { return chips + ecc_chips; }
  std::uint64_t words() const { return channels * ranks * banks * rows * columns; }
  std::uint64_t total_bits() const { return words() * bus_width(); }
  std::uint64_t size(Field field) const;
};

// One physical bit: the bus word at (channel, rank, bank, row, column) and the
// bit within it (0 .. bus_width-1).
struct PhysicalAddress {
  std::array<std::uint64_t, kFieldCount> fields{};

  std::uint64_t get(Field f) const { return fields[static_cast<std::size_t>(f)]; }
  void set(Field f, std::uint64_t v) { fields[static_cast<std::size_t>(f)] = v; }
  std::uint64_t chip(const Geometry& g) const { return get(Field::bit) / g.device_width; }
  bool operator==(const PhysicalAddress&) const = default;
};

}  // namespace weightfault::memory

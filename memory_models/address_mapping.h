// Address mapping: a linear bit address <-> a physical address. The scheme
// string names the word-address fields from most to least significant, e.g.
//   "RoBaRaCoCh"  row, bank, rank, column, channel: consecutive words alternate
//                 channels (channel-interleaved), then walk a row's columns
//   "ChRaBaRoCo"  channel, rank, bank, row, column: each bank filled row by row
// Tokens: Ch (channel), Ra (rank), Ba (bank), Ro (row), Co (column), each once.
// linear bit = linear word * bus_width + bit within the bus word.
#pragma once

#include <array>
#include <string>

#include "memory_models/geometry.h"

namespace weightfault::memory {

class AddressMapping {
 public:
  // Throws InputError naming the scheme and the valid tokens.
  AddressMapping(const Geometry& geometry, const std::string& scheme);

  const Geometry& geometry() const { return geometry_; }
  const std::string& scheme() const { return scheme_; }

  PhysicalAddress to_physical(std::uint64_t linear_bit) const;
  std::uint64_t to_linear(const PhysicalAddress& address) const;
  // Word fields in scheme order, most significant first.
  const std::array<Field, 5>& order() const { return order_; }
  // Linear words between two consecutive values of `field`.
  std::uint64_t word_stride(Field field) const;
  // Linear bits from the start of one row (column 0 of every field below it) to the next.
  std::uint64_t row_alignment_bits() const;

 private:
  Geometry geometry_;
  std::string scheme_;
  std::array<Field, 5> order_{};
  std::array<std::uint64_t, kFieldCount> stride_{};  // linear words per unit of each field
};

}  // namespace weightfault::memory

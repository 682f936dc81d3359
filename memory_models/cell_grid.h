// The physical cell grid of one device (chip) in a bank: rows along the
// bitlines, and cells along a wordline. With column interleaving I (an I:1
// column multiplexer) the I words of a column group sit bit-interleaved, so
// the neighbours of a cell along the wordline are the same bit of the next
// word: x = group * (I * w) + bit_in_chip * I + column % I, with w the device
// width and group = column / I. Multi-cell upsets are grown on this grid, then
// mapped back to logical (column, bit) words.
#pragma once

#include <cstdint>
#include <optional>

#include "memory_models/geometry.h"

namespace weightfault::memory {

struct CellGrid {
  std::uint64_t interleave = 1;

  std::uint64_t cells_per_row(const Geometry& g) const {
    return ((g.columns + interleave - 1) / interleave) * interleave * g.device_width;
  }
  // Position along the wordline of `a` within its chip.
  std::uint64_t x_of(const PhysicalAddress& a, const Geometry& g) const {
    const std::uint64_t column = a.get(Field::column);
    const std::uint64_t bit_in_chip = a.get(Field::bit) % g.device_width;
    return column / interleave * (interleave * g.device_width) + bit_in_chip * interleave +
           column % interleave;
  }
  // The address of cell x of the same chip and row as `a`; nullopt past the last column.
  std::optional<PhysicalAddress> at_x(PhysicalAddress a, std::uint64_t x, const Geometry& g) const {
    const std::uint64_t group = x / (interleave * g.device_width);
    const std::uint64_t r = x % (interleave * g.device_width);
    const std::uint64_t column = group * interleave + r % interleave;
    if (column >= g.columns) return std::nullopt;
    a.set(Field::column, column);
    a.set(Field::bit, a.chip(g) * g.device_width + r / interleave);
    return a;
  }
};

}  // namespace weightfault::memory

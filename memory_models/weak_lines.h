// Cells on weak lines (bitlines, or one chip's wordlines) whose cells fail more often
// than elsewhere (EDEN's weak rows/columns, Stutz et al.'s weak SRAM columns).
//
// A line is weak with probability `fraction`, wherever it lies: the weak lines are drawn
// uniformly over the whole device, not only where the stored image is, and each line's
// failing cells are drawn along all of it, keeping those inside the image. So the image
// gets fraction x extent_bits x p failing cells on average, whatever share of the device
// it fills. (Drawing lines through the image but as many as if it filled whole lines lost
// the cells outside it: ~96 % of them in the shipped edge SRAM scenario.)
#pragma once

#include <boost/random/poisson_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <cstdint>

#include "memory_models/address_mapping.h"

namespace weightfault::memory {

// Calls emit(bit) for every failing cell of the image on a weak line: Poisson(fraction x
// the device's lines) lines, each with Poisson(line cells x p) failing cells at uniform
// positions along it. `wordline`: one chip's wordline (columns x device_width cells), else
// a bitline (rows cells).
template <class Rng, class Emit>
void draw_weak_line_cells(const AddressMapping& mapping, std::uint64_t extent_bits, bool wordline,
                          double fraction, double p, Rng& rng, Emit&& emit) {
  if (!(fraction > 0.0) || !(p > 0.0) || extent_bits == 0) return;
  const Geometry& g = mapping.geometry();
  const std::uint64_t line_cells = wordline ? g.columns * g.device_width : g.rows;
  const double device_lines = static_cast<double>(g.total_bits()) / static_cast<double>(line_cells);
  boost::random::uniform_int_distribution<std::uint64_t> anywhere(0, g.total_bits() - 1);
  const auto pick = [&](std::uint64_t n) {
    return boost::random::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng);
  };
  const auto lines =
      boost::random::poisson_distribution<std::uint64_t, double>(fraction * device_lines)(rng);
  for (std::uint64_t l = 0; l < lines; ++l) {
    const PhysicalAddress anchor = mapping.to_physical(anywhere(rng));
    const auto n = boost::random::poisson_distribution<std::uint64_t, double>(
        static_cast<double>(line_cells) * p)(rng);
    for (std::uint64_t k = 0; k < n; ++k) {
      PhysicalAddress a = anchor;
      if (wordline) {
        a.set(Field::column, pick(g.columns));
        a.set(Field::bit, anchor.chip(g) * g.device_width + pick(g.device_width));
      } else {
        a.set(Field::row, pick(g.rows));
      }
      const std::uint64_t bit = mapping.to_linear(a);
      if (bit < extent_bits) emit(bit);
    }
  }
}

}  // namespace weightfault::memory

// Positions of the successes of independent Bernoulli(p) trials over
// [0, count), drawn as geometric gaps: O(successes), never one draw per bit,
// and exactly the Bernoulli process (the count is Binomial(count, p)).
#pragma once

#include <boost/random/geometric_distribution.hpp>
#include <cstdint>

#include "memory_models/fault_model.h"

namespace weightfault::memory {

template <typename F>
void for_each_bernoulli_position(std::uint64_t count, double p, Rng& rng, F&& f) {
  if (p <= 0.0 || count == 0) return;
  if (p >= 1.0) {
    for (std::uint64_t i = 0; i < count; ++i) f(i);
    return;
  }
  // Boost's geometric distribution counts failures before the first success (support 0, 1, ...).
  boost::random::geometric_distribution<std::uint64_t, double> gap(p);
  std::uint64_t position = gap(rng);
  while (position < count) {
    f(position);
    const std::uint64_t step = gap(rng);
    if (step >= count - position) break;  // also guards against overflow
    position += step + 1;
  }
}

}  // namespace weightfault::memory

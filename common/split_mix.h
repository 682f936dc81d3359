// SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): a tiny, portable generator used
// wherever a fixed, platform-independent pseudo-random order is needed (e.g. the
// calibration split). std::shuffle is not portable across standard libraries.
#pragma once

#include <cstdint>
#include <initializer_list>

namespace weightfault {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform integer in [0, bound) by rejection (no modulo bias).
  std::uint64_t below(std::uint64_t bound) {
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
    std::uint64_t x = next();
    while (x >= limit) x = next();
    return x % bound;
  }

 private:
  std::uint64_t state_;
};

}  // namespace weightfault

namespace weightfault {

// Seed of an independent random stream named by a tuple of integers, e.g.
// (master seed, sweep point, trial, fault model, purpose). Each part is mixed
// through SplitMix64, so the streams never depend on threads or timing.
inline std::uint64_t stream_seed(std::initializer_list<std::uint64_t> parts) {
  std::uint64_t state = 0x243f6a8885a308d3ULL;  // pi, nothing up the sleeve
  for (const auto part : parts) state = SplitMix64(state ^ part).next();
  return state;
}

}  // namespace weightfault

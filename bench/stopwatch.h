// Wall-clock timing shared by the benchmark programs.
#pragma once

#include <chrono>

namespace weightfault::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace weightfault::bench

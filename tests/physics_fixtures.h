// Helpers shared by the fault-model tests: a timeline and environment, a context
// over it, independent draws and the faults active at a time.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "common/split_mix.h"
#include "memory_models/environment.h"
#include "memory_models/fault_model.h"

namespace weightfault::test {

inline double phi(double z) {
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

struct Timeline {
  std::vector<double> writes{0.0};
  std::vector<double> checkpoints;
  memory::Environment env;
};

inline memory::FaultModelContext context(const memory::AddressMapping& m, std::uint64_t extent,
                                         const Timeline& tl) {
  memory::FaultModelContext ctx{m, extent, 0.0, tl.checkpoints.back(), 0};
  ctx.environment = &tl.env;
  ctx.write_times_s = tl.writes;
  ctx.checkpoints_s = tl.checkpoints;
  return ctx;
}

inline std::vector<memory::FaultMap> draws(const memory::FaultModel& model,
                                           const memory::FaultModelContext& ctx, int n,
                                           std::uint64_t seed) {
  std::vector<memory::FaultMap> out;
  for (int k = 0; k < n; ++k) {
    memory::Rng rng(stream_seed({seed, static_cast<std::uint64_t>(k)}));
    out.emplace_back();
    model.generate(ctx, rng, out.back());
  }
  return out;
}

inline std::vector<double> active_counts(const std::vector<memory::FaultMap>& maps, double t_s) {
  std::vector<double> counts;
  for (const auto& map : maps) {
    double n = 0;
    for (const auto& f : map.bit_faults()) n += f.active_at(t_s) ? 1 : 0;
    counts.push_back(n);
  }
  return counts;
}

constexpr double kDay = 86400.0;
constexpr double kYear = 365.25 * kDay;

}  // namespace weightfault::test

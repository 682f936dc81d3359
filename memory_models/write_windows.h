// The write windows a model's faults live in: [a write, the next write), restricted to
// those at least one checkpoint reads (unobserved episodes need not be materialized).
#pragma once

#include <vector>

#include "memory_models/fault_model.h"

namespace weightfault::memory {

// A write window [start, end) that at least one checkpoint reads; last = its last checkpoint.
struct WriteWindow {
  double start_s, end_s, last_checkpoint_s;
};

inline std::vector<WriteWindow> observed_windows(const FaultModelContext& ctx) {
  std::vector<WriteWindow> out;
  for (const double c : ctx.checkpoints_s) {
    if (c < ctx.t0_s || c > ctx.t1_s) continue;
    const double w = ctx.last_write_at_or_before(c);
    if (!out.empty() && out.back().start_s == w) {
      out.back().last_checkpoint_s = c;
    } else {
      out.push_back({w, ctx.next_write_after(c), c});
    }
  }
  return out;
}

}  // namespace weightfault::memory

// Statistics across trials. All images of one trial share one fault draw, so
// a trial's accuracy is one observation: intervals are across trials
// (Student t), never binomial over images. The fraction of critical trials
// gets a Wilson score interval (Wilson, JASA 1927).
//
// Mean accuracy lies in [0, 1], so its t interval is cut to [0, 1]: the true mean
// is always inside [0, 1], so the cut interval covers it exactly as often as the
// t interval does, and never claims an accuracy above 100 % or below 0
// (docs/results-format.md).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace weightfault::sim {

struct MeanInterval {
  double mean = 0.0;
  double std_dev = 0.0;  // sample standard deviation
  double low = 0.0;      // 95 % t interval; NaN when fewer than 2 observations
  double high = 0.0;
  std::size_t n = 0;
};
MeanInterval mean_t_interval(std::span<const double> values);

struct ProportionInterval {
  double fraction = 0.0;
  double low = 0.0;  // 95 % Wilson interval; NaN when n = 0
  double high = 0.0;
};
ProportionInterval wilson_interval(std::size_t successes, std::size_t n);

}  // namespace weightfault::sim

namespace weightfault::sim {

// Summary of one (protection, dtype, sweep point, checkpoint) cell from its
// per-trial accuracies; NaN entries are unfinished trials and are skipped.
struct CellSummary {
  MeanInterval accuracy;
  ProportionInterval critical;  // trials with accuracy < reference - critical_drop
  std::size_t finished = 0;
};
CellSummary summarize_cell(std::span<const double> accuracy_per_trial, double reference_accuracy,
                           double critical_drop);

}  // namespace weightfault::sim

#include "sim/summary_stats.h"

#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>

namespace weightfault::sim {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kZ95 = 1.959963984540054;  // standard normal 97.5 % quantile
}  // namespace

MeanInterval mean_t_interval(std::span<const double> values) {
  MeanInterval out;
  out.n = values.size();
  if (out.n == 0) return {kNaN, kNaN, kNaN, kNaN, 0};
  double sum = 0.0;
  for (double v : values) sum += v;
  out.mean = sum / static_cast<double>(out.n);
  if (out.n < 2) {
    out.std_dev = out.low = out.high = kNaN;
    return out;
  }
  double ss = 0.0;
  for (double v : values) ss += (v - out.mean) * (v - out.mean);
  out.std_dev = std::sqrt(ss / static_cast<double>(out.n - 1));
  const boost::math::students_t dist(static_cast<double>(out.n - 1));
  const double half =
      boost::math::quantile(dist, 0.975) * out.std_dev / std::sqrt(static_cast<double>(out.n));
  out.low = out.mean - half;
  out.high = out.mean + half;
  return out;
}

ProportionInterval wilson_interval(std::size_t successes, std::size_t n) {
  if (n == 0) return {kNaN, kNaN, kNaN};
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(successes) / nn;
  const double z2 = kZ95 * kZ95;
  const double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
  const double half = kZ95 / (1 + z2 / nn) * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  return {p, std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

}  // namespace weightfault::sim

namespace weightfault::sim {

CellSummary summarize_cell(std::span<const double> accuracy_per_trial, double reference_accuracy,
                           double critical_drop) {
  std::vector<double> done;
  std::size_t critical = 0;
  for (double a : accuracy_per_trial) {
    if (std::isnan(a)) continue;
    done.push_back(a);
    if (a < reference_accuracy - critical_drop) ++critical;
  }
  CellSummary s;
  s.accuracy = mean_t_interval(done);
  if (s.accuracy.n >= 2) {  // an accuracy: the interval within [0, 1] (summary_stats.h)
    s.accuracy.low = std::max(0.0, s.accuracy.low);
    s.accuracy.high = std::min(1.0, s.accuracy.high);
  }
  s.critical = wilson_interval(critical, done.size());
  s.finished = done.size();
  return s;
}

}  // namespace weightfault::sim

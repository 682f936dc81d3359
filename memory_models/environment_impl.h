// Template members of Profile (memory_models/environment.h).
#pragma once

#include <algorithm>
#include <cmath>

namespace weightfault::memory {

template <typename F>
bool Profile::for_each_piece(double a_s, double b_s, F&& f) const {
  if (!(b_s > a_s)) return false;
  const double period = repeat_s_;
  double base = 0.0;
  if (period > 0.0) base = std::floor(a_s / period) * period;
  while (base < b_s) {
    for (std::size_t k = 0; k < points_.size(); ++k) {
      const double seg0 = base + points_[k].t_s;
      const bool last = k + 1 == points_.size();
      const double seg1 = last ? (period > 0.0 ? base + period : b_s) : base + points_[k + 1].t_s;
      const double lo = std::max(seg0, a_s), hi = std::min(seg1, b_s);
      if (!(hi > lo)) continue;
      const double v0 = points_[k].value;
      // Linear segments interpolate to the next point; the last segment of a
      // cycle interpolates back to the first point's value.
      double v1 = v0;
      if (shape_ == Shape::linear) {
        if (!last)
          v1 = points_[k + 1].value;
        else if (period > 0.0)
          v1 = points_.front().value;
      }
      const auto value_at = [&](double t) {
        return seg1 > seg0 && std::isfinite(seg1) ? v0 + (v1 - v0) * (t - seg0) / (seg1 - seg0)
                                                  : v0;
      };
      if (f(lo, hi, value_at(lo), value_at(hi))) return true;
    }
    if (!(period > 0.0)) break;
    base += period;
  }
  return false;
}

template <typename G>
double Profile::integral_no_repeat(double a_s, double b_s, G&& g) const {
  double sum = 0.0;
  for_each_piece(a_s, b_s, [&](double t0, double t1, double v0, double v1) {
    if (v0 == v1) {
      sum += g(v0) * (t1 - t0);
    } else {
      constexpr int kPieces = 16;  // even, for Simpson's rule
      const double h = (t1 - t0) / kPieces;
      double s = g(v0) + g(v1);
      for (int i = 1; i < kPieces; ++i) {
        const double v = v0 + (v1 - v0) * static_cast<double>(i) / kPieces;
        s += (i % 2 == 1 ? 4.0 : 2.0) * g(v);
      }
      sum += s * h / 3.0;
    }
    return false;
  });
  return sum;
}

template <typename G>
double Profile::integral(double a_s, double b_s, G&& g) const {
  if (!(b_s > a_s)) return 0.0;
  if (is_constant()) return g(max_) * (b_s - a_s);
  if (!(repeat_s_ > 0.0) || b_s - a_s < 3.0 * repeat_s_) return integral_no_repeat(a_s, b_s, g);
  // Whole periods in the middle are all alike.
  const double first_full = std::ceil(a_s / repeat_s_) * repeat_s_;
  const double periods = std::floor((b_s - first_full) / repeat_s_);
  const double last_full = first_full + periods * repeat_s_;
  return integral_no_repeat(a_s, first_full, g) + periods * integral_no_repeat(0.0, repeat_s_, g) +
         integral_no_repeat(last_full, b_s, g);
}

}  // namespace weightfault::memory

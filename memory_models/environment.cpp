#include "memory_models/environment.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace weightfault::memory {

Profile::Profile(double constant) : points_{{0.0, constant}}, max_(constant), min_(constant) {}

Profile::Profile(std::vector<Point> points, Shape shape, double repeat_s)
    : points_(std::move(points)), shape_(shape), repeat_s_(repeat_s) {
  // The scenario reader validates; these guard programming errors.
  if (points_.empty() || points_.front().t_s != 0.0)
    throw std::logic_error("profile must start at t = 0");
  for (std::size_t k = 1; k < points_.size(); ++k) {
    if (!(points_[k].t_s > points_[k - 1].t_s))
      throw std::logic_error("profile times must increase");
  }
  if (repeat_s_ > 0.0 && !(repeat_s_ > points_.back().t_s))
    throw std::logic_error("profile period must exceed its last time");
  max_ = min_ = points_.front().value;
  for (const auto& p : points_) {
    max_ = std::max(max_, p.value);
    min_ = std::min(min_, p.value);
  }
}

double Profile::at(double t_s) const {
  if (is_constant()) return max_;
  double value = points_.front().value;
  // The piece containing t_s starts at t_s; a zero-width query is widened to reach it.
  for_each_piece(t_s, t_s + 1e-9 * std::max(1.0, std::abs(t_s)),
                 [&](double, double, double v0, double) {
                   value = v0;
                   return true;
                 });
  return value;
}

double Profile::max_over(double a_s, double b_s) const {
  if (is_constant()) return max_;
  if (repeat_s_ > 0.0 && b_s - a_s >= repeat_s_) return max_;
  double m = -std::numeric_limits<double>::infinity();
  for_each_piece(a_s, b_s, [&](double, double, double v0, double v1) {
    m = std::max({m, v0, v1});
    return m >= max_;
  });
  return std::isfinite(m) ? m : at(a_s);
}

double Profile::min_over(double a_s, double b_s) const {
  if (is_constant()) return min_;
  if (repeat_s_ > 0.0 && b_s - a_s >= repeat_s_) return min_;
  double m = std::numeric_limits<double>::infinity();
  for_each_piece(a_s, b_s, [&](double, double, double v0, double v1) {
    m = std::min({m, v0, v1});
    return m <= min_;
  });
  return std::isfinite(m) ? m : at(a_s);
}

namespace {

// First t in the piece where the linear value crosses to the wanted side.
std::optional<double> crossing(double t0, double t1, double v0, double v1, double threshold,
                               bool above) {
  const auto beyond = [&](double v) { return above ? v > threshold : v < threshold; };
  if (beyond(v0)) return t0;
  if (!beyond(v1)) return std::nullopt;  // linear within a piece: neither end, nothing between
  const double t = t0 + (threshold - v0) / (v1 - v0) * (t1 - t0);
  return std::clamp(std::nextafter(t, t1), t0, t1);
}

}  // namespace

std::optional<double> Profile::first_above(double a_s, double b_s, double threshold) const {
  if (!(max_ > threshold) || !(b_s >= a_s)) return std::nullopt;
  std::optional<double> found;
  // Within one period from a_s every value is reached, so the search is bounded.
  const double end = repeat_s_ > 0.0 ? std::min(b_s, a_s + repeat_s_) : b_s;
  for_each_piece(a_s, std::max(end, a_s + 1e-9), [&](double t0, double t1, double v0, double v1) {
    found = crossing(t0, t1, v0, v1, threshold, true);
    return found.has_value();
  });
  if (found && *found > b_s) return std::nullopt;
  return found;
}

std::optional<double> Profile::first_below(double a_s, double b_s, double threshold) const {
  if (!(min_ < threshold) || !(b_s >= a_s)) return std::nullopt;
  std::optional<double> found;
  const double end = repeat_s_ > 0.0 ? std::min(b_s, a_s + repeat_s_) : b_s;
  for_each_piece(a_s, std::max(end, a_s + 1e-9), [&](double t0, double t1, double v0, double v1) {
    found = crossing(t0, t1, v0, v1, threshold, false);
    return found.has_value();
  });
  if (found && *found > b_s) return std::nullopt;
  return found;
}

double altitude_flux_factor(double altitude_m) {
  const double depth_g_cm2 = 1033.0 * std::pow(1.0 - 2.25577e-5 * altitude_m, 5.25588);
  return std::exp((1033.0 - depth_g_cm2) / 131.3);
}

}  // namespace weightfault::memory

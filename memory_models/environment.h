// The environment a memory lives in over simulated time: temperature, supply
// voltage, altitude and particle flux, each a Profile. Fault models read it to
// turn device physics into rates; sim/ builds it from a scenario's
// [environment] table (docs/scenarios.md).
#pragma once

#include <optional>
#include <vector>

namespace weightfault::memory {

// A quantity over time: constant, steps (each value holds until the next
// point) or piecewise-linear between points (held flat after the last one),
// optionally repeated with period `repeat_s` (a daily or orbital cycle).
class Profile {
 public:
  enum class Shape { steps, linear };
  struct Point {
    double t_s = 0.0;
    double value = 0.0;
  };

  explicit Profile(double constant = 0.0);
  // `points` start at t = 0 and increase strictly in time; repeat_s = 0 is no
  // repeat, otherwise it must exceed the last point's time.
  Profile(std::vector<Point> points, Shape shape, double repeat_s);

  double at(double t_s) const;
  double max_over(double a_s, double b_s) const;
  double min_over(double a_s, double b_s) const;
  double global_max() const { return max_; }
  double global_min() const { return min_; }
  bool is_constant() const { return max_ == min_; }
  // Earliest t in [a_s, b_s] where value(t) > threshold (nullopt: never).
  std::optional<double> first_above(double a_s, double b_s, double threshold) const;
  std::optional<double> first_below(double a_s, double b_s, double threshold) const;
  // Integral of g(value(t)) over [a_s, b_s]: exact on steps, Simpson's rule on
  // 16 pieces per linear segment; one period is integrated once and multiplied.
  template <typename G>
  double integral(double a_s, double b_s, G&& g) const;

 private:
  // Calls f(t0, t1, v0, v1) for the pieces of [a, b] in time order (values at
  // the piece ends, linear in between); stops when f returns true.
  template <typename F>
  bool for_each_piece(double a_s, double b_s, F&& f) const;
  template <typename G>
  double integral_no_repeat(double a_s, double b_s, G&& g) const;

  std::vector<Point> points_;
  Shape shape_ = Shape::steps;
  double repeat_s_ = 0.0;
  double max_ = 0.0, min_ = 0.0;
};

struct Environment {
  Profile temperature_c{25.0};
  std::optional<Profile> vdd_v;  // absent: each model's nominal supply
  Profile altitude_m{0.0};
  Profile flux_factor{1.0};  // extra particle-flux multiplier (e.g. an orbit's radiation belts)
};

// Neutron flux at `altitude_m` relative to New York City sea level, by the
// JESD89A Annex A atmospheric-depth form (docs/physics.md):
//   d = 1033 (1 - 2.25577e-5 h)^5.25588 g/cm^2,  F = exp((1033 - d) / 131.3).
double altitude_flux_factor(double altitude_m);

}  // namespace weightfault::memory

#include "memory_models/environment_impl.h"

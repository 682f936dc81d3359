// The standard normal CDF and its inverse (probit models of weak cells).
#pragma once

#include <boost/math/special_functions/erf.hpp>
#include <cmath>

namespace weightfault::memory {

inline double normal_cdf(double z) {
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

// Inverse of normal_cdf for p in (0, 1).
inline double normal_quantile(double p) {
  return -std::sqrt(2.0) * boost::math::erfc_inv(2.0 * p);
}

}  // namespace weightfault::memory

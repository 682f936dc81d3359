// Checks of drawn counts against their sampling distribution, shared by the
// fault-model tests. A mean of R counts has standard error sqrt(var / R),
// accepted within 4 standard errors (false alarm ~6e-5); a sample variance
// has standard error ~ var * sqrt(2 / (R-1)), accepted within 5; a
// chi-square statistic is accepted below its 99.9 % quantile.
#pragma once

#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <initializer_list>
#include <numeric>
#include <utility>
#include <vector>

#include "common/parameter.h"
#include "memory_models/fault_model.h"

namespace weightfault::test {

inline bool counts_match_binomial(const std::vector<double>& counts, double n, double p) {
  const double r = static_cast<double>(counts.size());
  const double mean = std::accumulate(counts.begin(), counts.end(), 0.0) / r;
  double ss = 0;
  for (double c : counts) ss += (c - mean) * (c - mean);
  const double var = ss / (r - 1);
  const double mu = n * p, sigma2 = n * p * (1 - p);
  const bool mean_ok = std::abs(mean - mu) < 4 * std::sqrt(sigma2 / r);
  const bool var_ok = std::abs(var - sigma2) < 5 * sigma2 * std::sqrt(2 / (r - 1));
  return mean_ok && var_ok;
}

// Poisson(mean): mean and variance both equal `mean`.
inline bool counts_match_poisson(const std::vector<double>& counts, double mean) {
  return counts_match_binomial(counts, mean * 1e9, 1e-9);
}

// The sample mean within 4 standard errors of `expected` (any distribution).
inline bool mean_matches(const std::vector<double>& counts, double expected) {
  const double r = static_cast<double>(counts.size());
  const double mean = std::accumulate(counts.begin(), counts.end(), 0.0) / r;
  double ss = 0;
  for (double c : counts) ss += (c - mean) * (c - mean);
  const double se = std::sqrt(ss / (r - 1) / r);
  return std::abs(mean - expected) < 4 * std::max(se, 1e-12);
}

// Pearson chi-square of observed bin counts against expected proportions.
inline bool uniform_enough(const std::vector<double>& observed,
                           const std::vector<double>& proportions) {
  const double total = std::accumulate(observed.begin(), observed.end(), 0.0);
  double chi2 = 0;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    const double e = total * proportions[i];
    chi2 += (observed[i] - e) * (observed[i] - e) / e;
  }
  const boost::math::chi_squared dist(static_cast<double>(observed.size() - 1));
  return chi2 < boost::math::quantile(dist, 0.999);
}

// A model's parameters: its declared defaults, then `overrides`.
inline ParamValues model_params(
    const memory::FaultModelInfo& info,
    std::initializer_list<std::pair<const char*, ParamValue>> overrides) {
  ParamValues v;
  for (const auto& d : info.params) {
    if (d.default_value) v.set(d.key, *d.default_value);
  }
  for (const auto& [k, value] : overrides) v.set(k, value);
  return v;
}

}  // namespace weightfault::test

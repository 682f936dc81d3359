// Questions: are the across-trial statistics the textbook ones, and does the
// interval of a mean accuracy stay within [0, 1]?
// Expected values computed by hand (t quantiles from tables: t(0.975, 3) = 3.182446).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "sim/summary_stats.h"

namespace wf = weightfault;

TEST_CASE("the t interval of a mean is the textbook one") {
  const std::vector<double> v{0.2, 0.4, 0.6, 0.8};  // mean 0.5, s = 0.2582
  const auto m = wf::sim::mean_t_interval(v);
  const double half = 3.182446 * std::sqrt(0.2 / 3.0) / 2.0;
  CHECK(m.mean == doctest::Approx(0.5));
  CHECK(m.std_dev == doctest::Approx(std::sqrt(0.2 / 3.0)));
  CHECK(m.low == doctest::Approx(0.5 - half).epsilon(1e-6));
  CHECK(m.high == doctest::Approx(0.5 + half).epsilon(1e-6));
  CHECK(std::isnan(wf::sim::mean_t_interval(std::vector<double>{0.3}).low));
}

TEST_CASE("the Wilson interval matches its closed form at 0 of 10 and 5 of 10") {
  const auto none = wf::sim::wilson_interval(0, 10);
  CHECK(none.low == 0.0);
  CHECK(none.high == doctest::Approx(0.2775).epsilon(1e-3));
  const auto half = wf::sim::wilson_interval(5, 10);
  CHECK(half.low == doctest::Approx(0.2366).epsilon(1e-3));
  CHECK(half.high == doctest::Approx(0.7634).epsilon(1e-3));
}

TEST_CASE("a cell's accuracy interval is the t interval cut to [0, 1]") {
  // Two untouched trials and one collapse: the t interval runs past 1 and below 0.
  const std::vector<double> acc{0.99, 0.99, 0.05, std::nan("")};
  const auto raw = wf::sim::mean_t_interval(std::vector<double>{0.99, 0.99, 0.05});
  REQUIRE(raw.high > 1.0);
  REQUIRE(raw.low < 0.0);
  const auto cell = wf::sim::summarize_cell(acc, 0.99, 0.1);
  CHECK(cell.finished == 3);
  CHECK(cell.accuracy.mean == doctest::Approx(raw.mean));
  CHECK(cell.accuracy.high == 1.0);
  CHECK(cell.accuracy.low == 0.0);
  CHECK(cell.critical.fraction == doctest::Approx(1.0 / 3.0));
  // Inside [0, 1] the interval is the t interval unchanged.
  const std::vector<double> mid{0.5, 0.6, 0.7};
  const auto inner = wf::sim::summarize_cell(mid, 0.7, 0.1);
  const auto t = wf::sim::mean_t_interval(mid);
  CHECK(inner.accuracy.low == t.low);
  CHECK(inner.accuracy.high == t.high);
}

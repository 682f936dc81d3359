// Question: do the plain fault models draw what they claim? Checked against
// the analytic expectation with fixed seeds; every check has a negative
// control showing it fails for a wrong expectation.
//
// Tolerances come from the sampling distribution: a mean of R counts has
// standard error sqrt(var / R), accepted within 4 standard errors (false
// alarm ~6e-5); a sample variance has standard error ~ var * sqrt(2 / (R-1)),
// accepted within 5; a chi-square statistic is accepted below its 99.9 %
// quantile.
#include <doctest/doctest.h>

#include <bit>
#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <numeric>

#include "common/split_mix.h"
#include "memory_models/fault_map.h"
#include "memory_models/fault_model.h"
#include "tests/fixtures.h"
#include "tests/statistics_checks.h"

namespace wf = weightfault;
using namespace wf::memory;
using wf::test::counts_match_binomial;
using wf::test::uniform_enough;

namespace {

struct Drawn {
  std::vector<double> counts;
  std::vector<BitFault> faults;  // all draws together
};

Drawn draw(const FaultModelInfo& info, const wf::ParamValues& params, const AddressMapping& mapping,
           std::uint64_t extent, int draws, std::uint64_t seed) {
  const auto model = info.create(params);
  Drawn out;
  for (int k = 0; k < draws; ++k) {
    Rng rng(wf::stream_seed({seed, static_cast<std::uint64_t>(k)}));
    FaultMap map;
    model->generate({mapping, extent, 0.0, 0.0, 0}, rng, map);
    out.counts.push_back(static_cast<double>(map.bit_faults().size()));
    out.faults.insert(out.faults.end(), map.bit_faults().begin(), map.bit_faults().end());
  }
  return out;
}

Geometry quickstart_geometry() {
  Geometry g;
  g.rows = 2048;
  return g;  // 8 banks x 2048 rows x 1024 columns x 64 bits = 1 Gbit
}

}  // namespace

TEST_CASE("uniform_ber fault counts follow Binomial(bits, ber) in mean and variance") {
  const AddressMapping m(quickstart_geometry(), "RoBaRaCoCh");
  const std::uint64_t bits = 1'000'000;
  const double ber = 1e-4;
  const auto d = draw(wf::test::fault_model("uniform_ber"),
                      wf::test::model_params(wf::test::fault_model("uniform_ber"), {{"ber", ber}}),
                      m, bits, 2000, 11);
  CHECK(counts_match_binomial(d.counts, static_cast<double>(bits), ber));
  // Negative controls: the same check against a wrong rate fails.
  CHECK_FALSE(counts_match_binomial(d.counts, static_cast<double>(bits), ber * 1.2));
  CHECK_FALSE(counts_match_binomial(d.counts, static_cast<double>(bits), ber / 1.2));
}

TEST_CASE("uniform_ber is exact at the ends: ber 0 gives nothing, ber 1 every bit once") {
  const AddressMapping m(quickstart_geometry(), "RoBaRaCoCh");
  CHECK(draw(wf::test::fault_model("uniform_ber"),
             wf::test::model_params(wf::test::fault_model("uniform_ber"), {{"ber", 0.0}}), m, 1000,
             3, 1)
            .faults.empty());
  const auto all = draw(
      wf::test::fault_model("uniform_ber"),
      wf::test::model_params(wf::test::fault_model("uniform_ber"), {{"ber", 1.0}}), m, 1000, 1, 1);
  REQUIRE(all.faults.size() == 1000);
  for (std::uint64_t i = 0; i < 1000; ++i) CHECK(all.faults[i].linear_bit == i);
}

TEST_CASE("uniform_ber positions are uniform over bus bit positions and banks (chi-square)") {
  const Geometry g = quickstart_geometry();
  const AddressMapping m(g, "RoBaRaCoCh");
  const auto d = draw(wf::test::fault_model("uniform_ber"),
                      wf::test::model_params(wf::test::fault_model("uniform_ber"), {{"ber", 1e-6}}),
                      m, g.total_bits(), 40, 12);
  REQUIRE(d.faults.size() > 30000);
  std::vector<double> by_bit(g.bus_width(), 0.0), by_bank(g.banks, 0.0);
  for (const auto& f : d.faults) {
    const auto a = m.to_physical(f.linear_bit);
    by_bit[a.get(Field::bit)] += 1;
    by_bank[a.get(Field::bank)] += 1;
  }
  const std::vector<double> flat_bits(g.bus_width(), 1.0 / static_cast<double>(g.bus_width()));
  const std::vector<double> flat_banks(g.banks, 1.0 / static_cast<double>(g.banks));
  CHECK(uniform_enough(by_bit, flat_bits));
  CHECK(uniform_enough(by_bank, flat_banks));
  // Negative control: against a distribution with bank 0 twice as likely, the check fails.
  std::vector<double> skewed(g.banks, 1.0 / static_cast<double>(g.banks + 1));
  skewed[0] *= 2;
  CHECK_FALSE(uniform_enough(by_bank, skewed));
}

TEST_CASE(
    "stuck_at: counts follow Binomial, 'either' splits evenly, and a cell at its stuck value never "
    "changes") {
  const AddressMapping m(quickstart_geometry(), "RoBaRaCoCh");
  const std::uint64_t bits = 200'000;
  const double fraction = 5e-4;
  const auto d =
      draw(wf::test::fault_model("stuck_at"),
           wf::test::model_params(wf::test::fault_model("stuck_at"),
                                  {{"fraction", fraction}, {"value", std::string("either")}}),
           m, bits, 1000, 13);
  CHECK(counts_match_binomial(d.counts, static_cast<double>(bits), fraction));
  CHECK_FALSE(counts_match_binomial(d.counts, static_cast<double>(bits), fraction * 1.2));
  const double n = static_cast<double>(d.faults.size());
  const double ones =
      static_cast<double>(std::count_if(d.faults.begin(), d.faults.end(), [](const BitFault& f) {
        return f.kind == FaultKind::stuck_at_1;
      }));
  CHECK(std::abs(ones - n / 2) < 4 * std::sqrt(n / 4));
  CHECK_FALSE(std::abs(ones - n * 0.6) < 4 * std::sqrt(n / 4));  // negative control

  // Apply stuck_at to a random image: only cells holding the other value change.
  const Placement p({{"t", bits / 8, 8}}, PlacementPolicy::packed, m);
  std::vector<std::uint8_t> golden(bits / 8);
  wf::SplitMix64 rng(14);
  for (auto& b : golden) b = static_cast<std::uint8_t>(rng.next());
  const auto model =
      wf::test::fault_model("stuck_at")
          .create(wf::test::model_params(wf::test::fault_model("stuck_at"),
                                         {{"fraction", 0.01}, {"value", std::string("either")}}));
  Rng draw_rng(15);
  FaultMap map;
  model->generate({m, bits, 0.0, 0.0, 0}, draw_rng, map);
  auto image = golden;
  map.apply(0.0, m, p, image);
  std::size_t expected_changes = 0;
  for (const auto& f : map.bit_faults()) {
    const bool was = (golden[f.linear_bit / 8] >> (f.linear_bit % 8)) & 1;
    const bool stuck = f.kind == FaultKind::stuck_at_1;
    const bool now = (image[f.linear_bit / 8] >> (f.linear_bit % 8)) & 1;
    CHECK(now == stuck);
    if (was != stuck) ++expected_changes;
  }
  std::size_t changed = 0;
  for (std::size_t i = 0; i < golden.size(); ++i)
    changed += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(golden[i] ^ image[i])));
  CHECK(changed == expected_changes);
  CHECK(changed < map.bit_faults().size());  // some cells already held their stuck value
}

TEST_CASE("the same stream seed draws the same faults; another trial draws others") {
  const AddressMapping m(quickstart_geometry(), "RoBaRaCoCh");
  const auto a = draw(wf::test::fault_model("uniform_ber"),
                      wf::test::model_params(wf::test::fault_model("uniform_ber"), {{"ber", 1e-4}}),
                      m, 100000, 1, 21);
  const auto b = draw(wf::test::fault_model("uniform_ber"),
                      wf::test::model_params(wf::test::fault_model("uniform_ber"), {{"ber", 1e-4}}),
                      m, 100000, 1, 21);
  const auto c = draw(wf::test::fault_model("uniform_ber"),
                      wf::test::model_params(wf::test::fault_model("uniform_ber"), {{"ber", 1e-4}}),
                      m, 100000, 1, 22);
  REQUIRE(a.faults.size() == b.faults.size());
  for (std::size_t i = 0; i < a.faults.size(); ++i)
    CHECK(a.faults[i].linear_bit == b.faults[i].linear_bit);
  CHECK((a.faults.size() != c.faults.size() || a.faults[0].linear_bit != c.faults[0].linear_bit));
}

TEST_CASE("seu event counts over a window follow Poisson(lambda T) and arrive uniformly in time") {
  const AddressMapping m(quickstart_geometry(), "RoBaRaCoCh");
  const std::uint64_t bits = std::uint64_t{8} << 20;   // 1 MiB = 8 Mbit
  const double fit = 5000.0, flux = 10.0, t1 = 3.6e7;  // 10,000 h
  // lambda T = FIT/Mbit * flux * Mbit * hours / 1e9
  const double mean = fit * flux * 8.0 * (t1 / 3600.0) / 1e9;
  REQUIRE(mean == doctest::Approx(4.0));
  const auto model = wf::test::fault_model("seu").create(wf::test::model_params(
      wf::test::fault_model("seu"), {{"fit_per_mbit", fit}, {"flux_factor", flux}}));
  CHECK(model->expected_faults({m, bits, 0.0, t1, 0}) == doctest::Approx(mean));
  std::vector<double> counts;
  std::vector<double> by_time(10, 0.0);
  for (int k = 0; k < 4000; ++k) {
    Rng rng(wf::stream_seed({31, static_cast<std::uint64_t>(k)}));
    FaultMap map;
    model->generate({m, bits, 0.0, t1, 0}, rng, map);
    counts.push_back(static_cast<double>(map.bit_faults().size()));
    for (const auto& f : map.bit_faults()) {
      REQUIRE(f.linear_bit < bits);
      REQUIRE(f.kind == FaultKind::flip);
      by_time[static_cast<std::size_t>(f.onset_s / t1 * 10)] += 1;
    }
  }
  // Poisson: mean = variance = lambda T. counts_match_binomial with p -> 0 is exactly that check.
  CHECK(counts_match_binomial(counts, mean * 1e9, 1e-9));
  CHECK_FALSE(counts_match_binomial(counts, mean * 1.2 * 1e9, 1e-9));  // negative control
  const std::vector<double> flat(10, 0.1);
  CHECK(uniform_enough(by_time, flat));
  std::vector<double> early(10, 0.9 / 9);
  early[0] = 0.1 * 2;  // a process with twice the rate in the first tenth
  for (auto& e : early) e /= 1.1;
  CHECK_FALSE(uniform_enough(by_time, early));
}

TEST_CASE(
    "field_faults: Poisson counts at the table's FIT, the table's mode mix, one device per "
    "record") {
  const Geometry g = quickstart_geometry();  // 8 chips
  const AddressMapping m(g, "RoBaRaCoCh");
  const auto model =
      wf::test::fault_model("field_faults")
          .create(wf::test::model_params(wf::test::fault_model("field_faults"),
                                         {{"fit_scale", 1.0}, {"kinds", std::string("both")}}));
  const double devices = 8.0, fit = 66.1;
  const double t1 = 5.0 / (fit * devices) * 1e9 * 3600.0;  // lambda = 5 faults per window
  CHECK(model->expected_faults({m, g.total_bits(), 0.0, t1, 0}) == doctest::Approx(5.0));
  std::vector<double> counts;
  double single_bit = 0, total = 0, permanent = 0;
  for (int k = 0; k < 4000; ++k) {
    Rng rng(wf::stream_seed({41, static_cast<std::uint64_t>(k)}));
    FaultMap map;
    model->generate({m, g.total_bits(), 0.0, t1, 0}, rng, map);
    counts.push_back(static_cast<double>(map.records().size()));
    for (const auto& r : map.records()) {
      total += 1;
      if (r.wildcard == 0) single_bit += 1;
      if (r.kind != FaultKind::flip) permanent += 1;
      REQUIRE(r.onset_s >= 0.0);
      REQUIRE(r.onset_s < t1);
    }
  }
  CHECK(counts_match_binomial(counts, 5.0 * 1e9, 1e-9));  // Poisson(5): mean = variance = 5
  CHECK_FALSE(counts_match_binomial(counts, 6.0 * 1e9, 1e-9));
  // Mode mix: single-bit faults are (14.2 + 18.6) / 66.1 of all; permanent ones 46.9 / 66.1.
  const auto proportion_ok = [&](double hits, double p) {
    return std::abs(hits - total * p) < 4 * std::sqrt(total * p * (1 - p));
  };
  CHECK(proportion_ok(single_bit, 32.8 / 66.1));
  CHECK(proportion_ok(permanent, 46.9 / 66.1));
  CHECK_FALSE(proportion_ok(single_bit, 0.6));  // negative control
}

TEST_CASE("field_faults: a whole-device fault touches only its own chip's bits") {
  Geometry g;
  g.rows = 16;
  g.columns = 8;
  g.banks = 2;
  const AddressMapping m(g, "RoBaRaCoCh");
  FaultRecord device;
  device.address.set(Field::bit, 3 * g.device_width + 5);  // chip 3
  device.wildcard = wildcard_of({Field::rank, Field::bank, Field::row, Field::column, Field::bit});
  std::size_t touched = 0;
  for_each_matching_bit(device, m, g.total_bits(), [&](std::uint64_t bit) {
    REQUIRE(m.to_physical(bit).chip(g) == 3);
    ++touched;
  });
  CHECK(touched == g.total_bits() / g.chips);
}

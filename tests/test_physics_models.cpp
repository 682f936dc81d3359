// Question: do the physical fault models and the environment draw what the
// physics says? Each check compares with an analytic expectation computed
// here from the formula (not from the model's code), with fixed seeds and
// tolerances from the sampling distribution (tests/statistics_checks.h), and
// a negative control that a wrong expectation fails.
#include <doctest/doctest.h>

#include <boost/math/distributions/normal.hpp>

#include <cmath>
#include <map>
#include <numbers>
#include <numeric>

#include "common/split_mix.h"
#include "memory_models/environment.h"
#include "memory_models/fault_model.h"
#include "sim/network_storage.h"
#include "sim/scrub.h"
#include "tests/fixtures.h"
#include "tests/physics_fixtures.h"
#include "tests/statistics_checks.h"

namespace wf = weightfault;
using namespace wf::memory;
using wf::test::active_counts;
using wf::test::context;
using wf::test::counts_match_poisson;
using wf::test::draws;
using wf::test::kDay;
using wf::test::kYear;
using wf::test::mean_matches;
using wf::test::model_params;
using wf::test::phi;
using wf::test::Timeline;
using wf::test::uniform_enough;

namespace {

// dram_retention's leaky-tail defaults (docs/physics.md): the formulas are checked on the
// unscreened population (screen_guardband = 0); screening has its own tests.
constexpr double kTailDensity = 9.8e-5;
constexpr double kTailMedianS = 13.5;
constexpr double kTailSigmaLn = 0.75;

}  // namespace

TEST_CASE("environment profiles: steps, linear cycles, extrema, crossings and integrals") {
  const Profile steps({{0, 20}, {100, 40}, {200, 30}}, Profile::Shape::steps, 0.0);
  CHECK(steps.at(50) == 20);
  CHECK(steps.at(150) == 40);
  CHECK(steps.at(1e6) == 30);
  CHECK(steps.max_over(0, 150) == 40);
  CHECK(steps.max_over(0, 99) == 20);
  CHECK(*steps.first_above(0, 1000, 35) == doctest::Approx(100));
  CHECK_FALSE(steps.first_above(0, 1000, 45).has_value());
  CHECK(steps.integral(0, 300, [](double v) { return v; }) == doctest::Approx(9000));

  // A triangle wave 0 -> 10 -> 0 with period 20 s.
  const Profile cycle({{0, 0}, {10, 10}}, Profile::Shape::linear, 20.0);
  CHECK(cycle.at(5) == doctest::Approx(5));
  CHECK(cycle.at(15) == doctest::Approx(5));
  CHECK(cycle.at(25) == doctest::Approx(5));
  CHECK(*cycle.first_above(20, 100, 7.5) == doctest::Approx(27.5));
  CHECK(*cycle.first_below(5, 100, 2.5) == doctest::Approx(17.5));
  CHECK(cycle.max_over(0, 5) == doctest::Approx(5));
  // Per period: integral of v is 100, of v^2 is 2 * 1000/3 (Simpson is exact on quadratics).
  CHECK(cycle.integral(0, 200, [](double v) { return v; }) == doctest::Approx(1000));
  CHECK(cycle.integral(0, 2000, [](double v) { return v * v; }) == doctest::Approx(66666.67));
  CHECK(cycle.integral(0, 2000, [](double v) { return v * v; }) != doctest::Approx(60000));

  // JESD89A Annex A: sea level 1x; Denver (1609 m) ~4x (docs/physics.md).
  CHECK(altitude_flux_factor(0.0) == doctest::Approx(1.0));
  CHECK(altitude_flux_factor(1609.0) == doctest::Approx(4.0).epsilon(0.05));
}

TEST_CASE("seu: cluster sizes follow the configured distribution; interleaving spreads them") {
  const AddressMapping m(Geometry{}, "RoBaRaCoCh");
  const std::uint64_t bits = Geometry{}.total_bits();
  Timeline tl;
  tl.checkpoints = {1e5};
  const auto ctx = context(m, bits, tl);
  const double fit = 20.0 / (bits / 1048576.0 * 1e5 / 3600.0) * 1e9;  // 20 events per window
  for (const double interleave : {1.0, 4.0}) {
    const auto model = wf::test::fault_model("seu").create(
        model_params(wf::test::fault_model("seu"), {{"fit_per_mbit", fit},
                                                    {"mcu_fraction", 0.5},
                                                    {"mcu_ratio", 0.3},
                                                    {"bitline_bias", 0.7},
                                                    {"interleave", interleave}}));
    std::vector<double> sizes(5, 0.0);
    double pairs = 0, along_bitline = 0, wordline_same_word = 0, wordline_pairs = 0;
    for (const auto& map : draws(*model, ctx, 500, 51)) {
      std::map<double, std::vector<std::uint64_t>> clusters;  // an event's cells share its time
      for (const auto& f : map.bit_faults()) clusters[f.onset_s].push_back(f.linear_bit);
      for (const auto& [t, cells] : clusters) {
        sizes[std::min<std::size_t>(cells.size(), 5) - 1] += 1;
        if (cells.size() != 2) continue;
        const auto a = m.to_physical(cells[0]), b = m.to_physical(cells[1]);
        pairs += 1;
        if (a.get(Field::row) != b.get(Field::row)) {
          along_bitline += 1;
        } else {
          wordline_pairs += 1;
          wordline_same_word += a.get(Field::column) == b.get(Field::column) ? 1 : 0;
        }
      }
    }
    // P(1) = 1 - f, P(k) = f (1 - r) r^(k-2): 0.5, 0.35, 0.105, 0.0315, rest 0.0135.
    CHECK(uniform_enough(sizes, {0.5, 0.35, 0.105, 0.0315, 0.0135}));
    CHECK_FALSE(uniform_enough(sizes, {0.5, 0.30, 0.12, 0.048, 0.032}));  // r = 0.4
    CHECK(std::abs(along_bitline - 0.7 * pairs) < 4 * std::sqrt(pairs * 0.21));
    // No interleaving: wordline neighbours are bits of one word; 4:1 puts them in different words.
    // (7 of 8 neighbours of an x8 device's cell are in its word; the 8th starts the next word.)
    if (interleave == 1.0)
      CHECK(std::abs(wordline_same_word - 0.875 * wordline_pairs) <
            4 * std::sqrt(wordline_pairs * 0.875 * 0.125));
    if (interleave == 4.0) CHECK(wordline_same_word == 0);
    CHECK(wordline_pairs > 100);
  }
}

TEST_CASE("seu: a low-voltage step raises the rate by exp(dV / slope), drawn by thinning") {
  const AddressMapping m(Geometry{}, "RoBaRaCoCh");
  const std::uint64_t bits = std::uint64_t{8} << 20;
  Timeline tl;
  tl.checkpoints = {3.6e7};
  tl.env.vdd_v = Profile({{0, 0.9}, {1.8e7, 0.65}}, Profile::Shape::steps, 0.0);
  const auto ctx = context(m, bits, tl);
  const double fit = 50000.0;
  const double base =
      fit * 8.0 * (3.6e7 / 3600.0) / 1e9;  // events at 0.9 V (the reference) over the window
  const double expected = base * 0.5 * (1.0 + std::exp(0.25 / 0.25));
  const auto model = wf::test::fault_model("seu").create(
      model_params(wf::test::fault_model("seu"), {{"fit_per_mbit", fit}}));
  CHECK(model->expected_faults(ctx) == doctest::Approx(expected).epsilon(1e-6));
  std::vector<double> counts;
  double late = 0, total = 0;
  for (const auto& map : draws(*model, ctx, 3000, 61)) {
    counts.push_back(static_cast<double>(map.bit_faults().size()));
    for (const auto& f : map.bit_faults()) {
      total += 1;
      late += f.onset_s >= 1.8e7 ? 1 : 0;
    }
  }
  CHECK(counts_match_poisson(counts, expected));
  CHECK_FALSE(counts_match_poisson(counts, base));  // negative control: no voltage effect
  const double p_late = std::numbers::e / (1.0 + std::numbers::e);
  CHECK(std::abs(late - total * p_late) < 4 * std::sqrt(total * p_late * (1 - p_late)));
}

TEST_CASE("dram_retention: failing cells at two temperatures follow the Arrhenius factor") {
  const AddressMapping m(Geometry{}, "RoBaRaCoCh");
  const std::uint64_t bits = std::uint64_t{1} << 29;  // ~200 and ~7,000 failing cells per draw
  const auto model = wf::test::fault_model("dram_retention")
                         .create(model_params(wf::test::fault_model("dram_retention"),
                                              {{"screen_guardband", 0.0},
                                               {"vrt_fraction", 0.0},
                                               {"tail_growth_per_year", 0.0},
                                               {"refresh_interval_s", 0.512}}));
  // Expected failing cells: N rho Phi((ln(tREF * AF) - ln median) / sigma), AF by Arrhenius.
  // (A relaxed 512 ms window: enough failing cells at 65 C for a sharp ratio.)
  const auto analytic = [&](double temperature_c, double ea_ev) {
    const double k = 8.617333e-5;
    const double af =
        std::exp(ea_ev / k * (1.0 / (45.0 + 273.15) - 1.0 / (temperature_c + 273.15)));
    return static_cast<double>(bits) * kTailDensity *
           phi((std::log(0.512 * af) - std::log(kTailMedianS)) / kTailSigmaLn);
  };
  std::map<double, double> means;
  for (const double temperature_c : {65.0, 85.0}) {
    Timeline tl;
    tl.checkpoints = {kDay};
    tl.env.temperature_c = Profile(temperature_c);
    const auto ctx = context(m, bits, tl);
    const auto maps = draws(*model, ctx, 200, 71);
    const auto counts = active_counts(maps, kDay);
    CHECK(counts_match_poisson(counts, analytic(temperature_c, 0.6)));
    CHECK(model->expected_active(ctx, kDay) == doctest::Approx(analytic(temperature_c, 0.6)));
    means[temperature_c] = std::accumulate(counts.begin(), counts.end(), 0.0) / 200.0;
    // Flips go only from the charged to the discharged state: true rows read 0, anti rows 1.
    double anti = 0;
    for (const auto& map : maps) {
      for (const auto& f : map.bit_faults()) {
        const bool anti_row = (m.to_physical(f.linear_bit).get(Field::row) / 512) % 2 == 1;
        REQUIRE(f.kind == (anti_row ? FaultKind::stuck_at_1 : FaultKind::stuck_at_0));
        anti += anti_row ? 1 : 0;
      }
    }
    CHECK(anti > 0);
  }
  const double ratio = means[85.0] / means[65.0];
  const double se = ratio * std::sqrt(1.0 / (200 * means[85.0]) + 1.0 / (200 * means[65.0]));
  CHECK(std::abs(ratio - analytic(85.0, 0.6) / analytic(65.0, 0.6)) < 4 * se);
  CHECK(std::abs(ratio - analytic(85.0, 0.5) / analytic(65.0, 0.5)) > 4 * se);  // wrong Ea
}

TEST_CASE("dram_retention: all-true cells only ever read 0 when they fail") {
  const AddressMapping m(Geometry{}, "RoBaRaCoCh");
  Timeline tl;
  tl.checkpoints = {kDay};
  tl.env.temperature_c = Profile(85.0);
  const auto model = wf::test::fault_model("dram_retention")
                         .create(model_params(wf::test::fault_model("dram_retention"),
                                              {{"screen_guardband", 0.0},
                                               {"cell_layout", std::string("all_true")}}));
  std::size_t faults = 0;
  for (const auto& map : draws(*model, context(m, Geometry{}.total_bits(), tl), 5, 72)) {
    for (const auto& f : map.bit_faults()) {
      REQUIRE(f.kind == FaultKind::stuck_at_0);
      ++faults;
    }
  }
  CHECK(faults > 100);
}

TEST_CASE("dram_retention: VRT cells fail once they visit the low state (telegraph process)") {
  const AddressMapping m(Geometry{}, "RoBaRaCoCh");
  const std::uint64_t bits = std::uint64_t{1} << 30;
  Timeline tl;
  tl.checkpoints = {3600.0, 360000.0};  // 0.1 and 10 mean dwell times
  tl.env.temperature_c = Profile(85.0);
  const auto model =
      wf::test::fault_model("dram_retention")
          .create(model_params(
              wf::test::fault_model("dram_retention"),
              {{"screen_guardband", 0.0}, {"vrt_fraction", 1.0}, {"tail_growth_per_year", 0.0}}));
  const auto ctx = context(m, bits, tl);
  const auto maps = draws(*model, ctx, 100, 73);
  // Failing: cells weak even when high (F(theta)), plus cells weak only when low (F(4 theta) -
  // F(theta)) that were low at some point of [0, t]: pi + (1 - pi)(1 - exp(-t / dwell)), pi = 1/2.
  const double k = 8.617333e-5;
  const double af = std::exp(0.6 / k * (1.0 / 318.15 - 1.0 / 358.15));
  const double f1 = phi((std::log(0.064 * af) - std::log(kTailMedianS)) / kTailSigmaLn);
  const double f4 = phi((std::log(4 * 0.064 * af) - std::log(kTailMedianS)) / kTailSigmaLn);
  const double n = static_cast<double>(bits) * kTailDensity;
  for (const double t : tl.checkpoints) {
    const double visited = 0.5 + 0.5 * (1.0 - std::exp(-t / 36000.0));
    CHECK(mean_matches(active_counts(maps, t), n * (f1 + (f4 - f1) * visited)));
    CHECK(model->expected_active(ctx, t) == doctest::Approx(n * (f1 + (f4 - f1) * visited)));
  }
  // Negative control: a static 50 % low-state fraction misses the growth over 10 dwell times.
  CHECK_FALSE(mean_matches(active_counts(maps, 360000.0), n * (f1 + (f4 - f1) * 0.5)));
}

TEST_CASE(
    "dram_retention: VRT cells under a cycling temperature fail as the two-state expectation "
    "says") {
  // A daily linear cycle 70 C -> 85 C -> 70 C: a cell whose low state fails only near the
  // peak must be low at such a moment. The expectation walks the hot stretches of each
  // critical temperature with the telegraph process; using the peak temperature for the
  // whole window (any low visit counts) overstates it -- the negative control.
  const AddressMapping m(Geometry{}, "RoBaRaCoCh");
  const std::uint64_t bits = std::uint64_t{1} << 30;
  Timeline tl;
  tl.checkpoints = {0.5 * kDay, 1.5 * kDay, 3 * kDay};  // each window has reached the peak
  tl.env.temperature_c = Profile({{0.0, 70.0}, {0.5 * kDay, 85.0}}, Profile::Shape::linear, kDay);
  const auto model =
      wf::test::fault_model("dram_retention")
          .create(model_params(
              wf::test::fault_model("dram_retention"),
              {{"screen_guardband", 0.0}, {"vrt_fraction", 1.0}, {"tail_growth_per_year", 0.0}}));
  const auto ctx = context(m, bits, tl);
  const auto maps = draws(*model, ctx, 200, 75);
  const double k = 8.617333e-5;
  const double af = std::exp(0.6 / k * (1.0 / 318.15 - 1.0 / 358.15));  // at the 85 C peak
  const double f1 = phi((std::log(0.064 * af) - std::log(kTailMedianS)) / kTailSigmaLn);
  const double f4 = phi((std::log(4 * 0.064 * af) - std::log(kTailMedianS)) / kTailSigmaLn);
  const double n = static_cast<double>(bits) * kTailDensity;
  for (const double t : tl.checkpoints) {
    INFO("t = ", t / kDay, " days");
    const double expected = model->expected_active(ctx, t);
    const double at_peak = n * (f1 + (f4 - f1) * (0.5 + 0.5 * (1.0 - std::exp(-t / 36000.0))));
    MESSAGE("t = ", t / kDay, " days: expected ", expected, " (at the peak all along: ", at_peak,
            ")");
    CHECK(expected < at_peak);
    CHECK(expected > n * f1);
    const auto counts = active_counts(maps, t);
    CHECK(mean_matches(counts, expected));
    CHECK_FALSE(mean_matches(counts, at_peak));
  }
}

TEST_CASE("dram_retention: new weak cells appear with age at the configured tail growth") {
  const AddressMapping m(Geometry{}, "RoBaRaCoCh");
  const std::uint64_t bits = std::uint64_t{1} << 30;
  Timeline tl;
  tl.checkpoints = {0.5 * kYear, 2 * kYear};
  tl.env.temperature_c = Profile(85.0);
  const auto model = wf::test::fault_model("dram_retention")
                         .create(model_params(wf::test::fault_model("dram_retention"),
                                              {{"screen_guardband", 0.0},
                                               {"tail_density", 0.01},
                                               {"vrt_fraction", 0.0},
                                               {"tail_growth_per_year", 1.0}}));
  const auto ctx = context(m, bits, tl);
  const auto maps = draws(*model, ctx, 100, 74);
  // Standing tail cells failing at 85 C, times (1 + growth * age).
  const double k = 8.617333e-5;
  const double af = std::exp(0.6 / k * (1.0 / 318.15 - 1.0 / 358.15));
  const double standing = static_cast<double>(bits) * 0.01 *
                          phi((std::log(0.064 * af) - std::log(kTailMedianS)) / kTailSigmaLn);
  CHECK(counts_match_poisson(active_counts(maps, 0.5 * kYear), standing * 1.5));
  CHECK(counts_match_poisson(active_counts(maps, 2 * kYear), standing * 3.0));
  CHECK_FALSE(counts_match_poisson(active_counts(maps, 2 * kYear), standing));  // no growth
  CHECK(model->expected_active(ctx, 2 * kYear) == doctest::Approx(standing * 3.0).epsilon(0.01));
}

TEST_CASE("dram_retention: manufacturer screening repairs cells that fail the guardbanded test") {
  // Screening at 85 C holds data 4 x 64 ms: a cell ships only if its retention at 45 C
  // exceeds s = 0.256 s x AF(85 C). At 85 C in the field with a 512 ms window (theta = 2 s):
  //   plain tail cells in [s, theta) fail;
  //   VRT cells in [s, 4s) were low at the test (pi_L = 1/2) half the time and were
  //   repaired; the rest fail in [s, theta) always and in [theta, 4 theta) once low.
  const AddressMapping m(Geometry{}, "RoBaRaCoCh");
  const std::uint64_t bits = std::uint64_t{1} << 30;
  const double k = 8.617333e-5;
  const double af = std::exp(0.6 / k * (1.0 / 318.15 - 1.0 / 358.15));
  const auto F = [](double reference_s) {
    return phi((std::log(reference_s) - std::log(kTailMedianS)) / kTailSigmaLn);
  };
  const double s = 0.256 * af, theta = 0.512 * af;
  const double n = static_cast<double>(bits) * kTailDensity;
  Timeline tl;
  tl.checkpoints = {kDay, 10 * kDay};
  tl.env.temperature_c = Profile(85.0);
  const auto ctx = context(m, bits, tl);
  const auto make = [](double vrt_fraction) {
    return wf::test::fault_model("dram_retention")
        .create(
            model_params(wf::test::fault_model("dram_retention"), {{"vrt_fraction", vrt_fraction},
                                                                   {"tail_growth_per_year", 0.0},
                                                                   {"refresh_interval_s", 0.512}}));
  };
  {
    const auto plain = make(0.0);
    const double expected = n * (F(theta) - F(s));
    const auto counts = active_counts(draws(*plain, ctx, 100, 76), kDay);
    CHECK(plain->expected_active(ctx, kDay) == doctest::Approx(expected));
    CHECK(counts_match_poisson(counts, expected));
    CHECK_FALSE(counts_match_poisson(counts, n * F(theta)));  // negative control: unscreened
  }
  {
    const auto vrt = make(1.0);
    const auto maps = draws(*vrt, ctx, 100, 77);
    for (const double t : tl.checkpoints) {
      INFO("t = ", t / kDay, " days");
      const double visited = 0.5 + 0.5 * (1.0 - std::exp(-t / 36000.0));
      const double expected = n * (0.5 * (F(theta) - F(s)) + 0.5 * visited * (F(4 * s) - F(theta)) +
                                   visited * (F(4 * theta) - F(4 * s)));
      CHECK(vrt->expected_active(ctx, t) == doctest::Approx(expected).epsilon(1e-6));
      CHECK(mean_matches(active_counts(maps, t), expected));
      // Negative control: every VRT cell above s shipped (the test state ignored).
      CHECK_FALSE(mean_matches(active_counts(maps, t),
                               n * ((F(theta) - F(s)) + visited * (F(4 * theta) - F(theta)))));
    }
  }
  // At the specified window (64 ms) and up to the test temperature nothing ships that can
  // fail: not a plain cell, not a VRT cell in either state.
  Timeline spec;
  spec.checkpoints = {kYear};
  spec.env.temperature_c = Profile({{0.0, 45.0}, {0.5 * kDay, 85.0}}, Profile::Shape::linear, kDay);
  const auto spec_model =
      wf::test::fault_model("dram_retention")
          .create(model_params(wf::test::fault_model("dram_retention"),
                               {{"tail_growth_per_year", 0.0}, {"weak_row_fraction", 0.01}}));
  const auto spec_ctx = context(m, std::uint64_t{1} << 36, spec);
  CHECK(spec_model->expected_faults(spec_ctx) == 0.0);
  CHECK(spec_model->expected_active(spec_ctx, kYear) == 0.0);
  for (const auto& map : draws(*spec_model, spec_ctx, 5, 78)) CHECK(map.bit_faults().empty());
}

TEST_CASE("sram_cell: the failing fraction at a voltage is the probit, and grows with aging") {
  const AddressMapping m(Geometry{}, "RoBaRaCoCh");
  const std::uint64_t bits = std::uint64_t{1} << 24;
  Timeline tl;
  tl.checkpoints = {1.0, 10 * kYear};
  tl.env.vdd_v = Profile(0.55);
  const auto model = wf::test::fault_model("sram_cell")
                         .create(model_params(wf::test::fault_model("sram_cell"), {}));
  const auto ctx = context(m, bits, tl);
  const auto maps = draws(*model, ctx, 200, 81);
  // Phi((mu + A (t/10y)^0.2 - V) / sigma) with mu 0.245 V, sigma 0.082 V, A 30 mV.
  const auto expected = [&](double t, double sigma) {
    const double aging = 0.030 * std::pow(t / (10 * kYear), 0.2);
    return static_cast<double>(bits) * phi((0.245 + aging - 0.55) / sigma);
  };
  CHECK(mean_matches(active_counts(maps, 1.0), expected(1.0, 0.082)));
  CHECK(mean_matches(active_counts(maps, 10 * kYear), expected(10 * kYear, 0.082)));
  CHECK_FALSE(mean_matches(active_counts(maps, 1.0), expected(1.0, 0.09)));
  CHECK(model->expected_active(ctx, 10 * kYear) == doctest::Approx(expected(10 * kYear, 0.082)));
  // Failed cells read a fixed value, about half of them 1.
  double ones = 0, all = 0;
  for (const auto& map : maps) {
    for (const auto& f : map.bit_faults()) {
      ones += f.kind == FaultKind::stuck_at_1 ? 1 : 0;
      all += 1;
    }
  }
  CHECK(std::abs(ones - 0.5 * all) < 4 * std::sqrt(all * 0.25));
}

TEST_CASE("weak columns and rows: their cells land in the stored image at the intended density") {
  // An image filling 1/64 of the rows: weak lines are drawn over the whole device and
  // their cells kept where the image is, so the image gets fraction x bits x p of them.
  // (Lines drawn through the image but counted as if it filled whole bitlines kept ~1/64
  // of the cells the expectation counted: the negative control.)
  Geometry g;
  g.banks = 2;
  g.rows = 4096;
  const AddressMapping m(g, "RoBaRaCoCh");
  const std::uint64_t bits = g.total_bits() / 64;
  Timeline tl;
  tl.checkpoints = {1.0};
  tl.env.vdd_v = Profile(0.6);
  const auto sram =
      wf::test::fault_model("sram_cell")
          .create(model_params(wf::test::fault_model("sram_cell"),
                               {{"weak_column_fraction", 0.02}, {"weak_column_shift_v", 0.15}}));
  const auto ctx = context(m, bits, tl);
  const auto counts = active_counts(draws(*sram, ctx, 200, 83), 1.0);
  // Phi((0.245 + aging - 0.6) / 0.082) everywhere, 150 mV more on 2 % of the bitlines
  // (aging at 1 s: 30 mV (1 s / 10 y)^0.2).
  const double aging = 0.030 * std::pow(1.0 / (10 * kYear), 0.2);
  const double base = static_cast<double>(bits) * phi((0.245 + aging - 0.6) / 0.082);
  const double weak = 0.02 * static_cast<double>(bits) * phi((0.395 + aging - 0.6) / 0.082);
  REQUIRE(weak > 10.0 * base);  // weak-column-heavy
  CHECK(sram->expected_active(ctx, 1.0) == doctest::Approx(base + weak));
  CHECK(mean_matches(counts, base + weak));
  CHECK_FALSE(mean_matches(counts, base + weak / 64.0));

  // dram_retention: weak bitlines and wordlines at 100x the tail density.
  Timeline hot;
  hot.checkpoints = {kDay};
  hot.env.temperature_c = Profile(85.0);
  for (const char* line : {"weak_column_fraction", "weak_row_fraction"}) {
    const auto dram = wf::test::fault_model("dram_retention")
                          .create(model_params(wf::test::fault_model("dram_retention"),
                                               {{"screen_guardband", 0.0},
                                                {"vrt_fraction", 0.0},
                                                {"tail_growth_per_year", 0.0},
                                                {"tail_density", 0.01},
                                                {line, 0.05}}));
    const auto dram_ctx = context(m, bits, hot);
    const double expected = dram->expected_active(dram_ctx, kDay);
    const auto plain = wf::test::fault_model("dram_retention")
                           .create(model_params(wf::test::fault_model("dram_retention"),
                                                {{"screen_guardband", 0.0},
                                                 {"vrt_fraction", 0.0},
                                                 {"tail_growth_per_year", 0.0},
                                                 {"tail_density", 0.01}}));
    const double without = plain->expected_active(dram_ctx, kDay);
    INFO(line);
    REQUIRE(expected > 4.0 * without);  // mostly weak-line cells
    const auto dram_counts = active_counts(draws(*dram, dram_ctx, 100, 84), kDay);
    CHECK(mean_matches(dram_counts, expected));
    CHECK_FALSE(mean_matches(dram_counts, without + (expected - without) / 64.0));
  }
}

TEST_CASE("write_error: STT-MRAM write error rate by Butler's form; rewrites retry the switch") {
  const AddressMapping m(Geometry{}, "RoBaRaCoCh");
  const std::uint64_t bits = std::uint64_t{1} << 30;
  Timeline tl;
  tl.checkpoints = {50.0, 150.0};
  tl.writes = {0.0, 100.0};
  const auto model = wf::test::fault_model("write_error")
                         .create(model_params(wf::test::fault_model("write_error"), {}));
  const auto ctx = context(m, bits, tl);
  // Delta 60, i = 2, 20 ns, tau_D 2 ns: precessional 1 - exp(-(pi^2 60/4)(1) / (2 e^20 - 1))
  // ~ 1.53e-7, times the thermal factor exp(-20 / (1 e^5)) (barrier floored at 5 kT): 1.33e-7.
  const double wer =
      -std::expm1(-(std::numbers::pi * std::numbers::pi * 15.0) / (2.0 * std::exp(20.0) - 1.0)) *
      std::exp(-20.0 / std::exp(5.0));
  CHECK(wer == doctest::Approx(1.333e-7).epsilon(0.01));
  CHECK(model->expected_faults(ctx) == doctest::Approx(static_cast<double>(bits) * wer));
  const auto maps = draws(*model, ctx, 300, 91);
  CHECK(wf::test::counts_match_binomial(active_counts(maps, 50.0), static_cast<double>(bits), wer));
  CHECK_FALSE(wf::test::counts_match_binomial(active_counts(maps, 50.0), static_cast<double>(bits),
                                              1.2 * wer));
  // After the rewrite only cells whose switch failed twice stay wrong (~164 * 1.5e-7 per draw).
  const auto after = active_counts(maps, 150.0);
  CHECK(std::accumulate(after.begin(), after.end(), 0.0) == 0.0);
  for (const auto& map : maps) {
    for (const auto& f : map.bit_faults()) REQUIRE(f.kind == FaultKind::stuck_at_0);
  }
  // Random initial states and direction-dependent currents: cells stuck at 1 failed the 1 -> 0
  // switch (i = 1.8: 0.5 WER(1.8)), cells stuck at 0 the 0 -> 1 switch (0.5 WER(2)).
  const auto both = wf::test::fault_model("write_error")
                        .create(model_params(wf::test::fault_model("write_error"),
                                             {{"erased_value", std::string("random")},
                                              {"current_ratio_1to0", 1.8}}));
  const auto wer_at = [](double i) {
    return -std::expm1(-(std::numbers::pi * std::numbers::pi * 15.0) * (i - 1.0) /
                       (i * std::exp(2.0 * (i - 1.0) * 10.0) - 1.0)) *
           std::exp(-20.0 / std::exp(5.0));
  };
  std::vector<double> ones, zeros;
  for (const auto& map : draws(*both, ctx, 300, 94)) {
    double n1 = 0, n0 = 0;
    for (const auto& f : map.bit_faults()) (f.kind == FaultKind::stuck_at_1 ? n1 : n0) += 1;
    ones.push_back(n1);
    zeros.push_back(n0);
  }
  const double n = static_cast<double>(bits);
  CHECK(wf::test::counts_match_binomial(ones, n, 0.5 * wer_at(1.8)));
  CHECK(wf::test::counts_match_binomial(zeros, n, 0.5 * wer_at(2.0)));
  CHECK_FALSE(wf::test::counts_match_binomial(ones, n, 0.5 * wer_at(2.0)));  // one rate for both
}

TEST_CASE("write_error: STT-MRAM WER is continuous and monotonic in current and pulse width") {
  // The expected first-load count over a grid of overdrives i and pulse widths: never
  // rising with either, and no jump at i = 1 (the thermal branch once set the switching
  // time to tau_0 there: 2.1e-9 at i = 1.0 against 0.98 at i = 1.05).
  const AddressMapping m(Geometry{}, "RoBaRaCoCh");
  Timeline tl;
  tl.checkpoints = {1.0};
  tl.writes = {0.0};
  const auto ctx = context(m, std::uint64_t{1} << 30, tl);
  const auto rate = [&](double i, double pulse_ns) {
    const auto model = wf::test::fault_model("write_error")
                           .create(model_params(wf::test::fault_model("write_error"),
                                                {{"current_ratio_0to1", i},
                                                 {"current_ratio_1to0", i},
                                                 {"pulse_width_ns", pulse_ns}}));
    return model->expected_faults(ctx) / static_cast<double>(std::uint64_t{1} << 30);
  };
  std::size_t rises = 0;
  for (const double pulse_ns : {1.0, 5.0, 20.0, 100.0, 1e3, 1e5}) {
    double previous = 1.0;
    for (double i = 0.05; i < 3.0; i += 0.0025) {
      const double now = rate(i, pulse_ns);
      rises += now > previous * (1.0 + 1e-9) ? 1 : 0;
      previous = now;
    }
    // Continuous where the two regimes meet (i = 1).
    const double below = rate(1.0 - 1e-10, pulse_ns), above = rate(1.0 + 1e-10, pulse_ns);
    INFO("pulse ", pulse_ns, " ns: ", below, " at i = 1 - 1e-10, ", above, " at 1 + 1e-10");
    CHECK(std::abs(below - above) <= 1e-4 * std::max(below, above));
  }
  for (const double i : {0.5, 0.9, 0.99, 1.0, 1.01, 1.05, 1.5, 2.0, 3.0}) {
    double previous = 1.0;
    for (double pulse_ns = 0.5; pulse_ns < 1e6; pulse_ns *= 1.25) {
      const double now = rate(i, pulse_ns);
      rises += now > previous * (1.0 + 1e-9) ? 1 : 0;
      previous = now;
    }
  }
  CHECK(rises == 0);
  // Around i = 1 at 20 ns the rate stays near 1: no precessional switching yet, and the
  // thermal barrier floored at 5 kT switches only ~13 % of cells within the pulse.
  CHECK(rate(1.0, 20.0) == doctest::Approx(0.873).epsilon(0.01));
  CHECK(rate(1.05, 20.0) < rate(1.0, 20.0));
  CHECK(rate(2.0, 20.0) == doctest::Approx(1.333e-7).epsilon(0.01));
}

TEST_CASE("write_error: DRAM write-recovery failures are a fresh draw at every write") {
  const AddressMapping m(Geometry{}, "RoBaRaCoCh");
  const std::uint64_t bits = std::uint64_t{1} << 24;
  Timeline tl;
  tl.checkpoints = {50.0, 150.0};
  tl.writes = {0.0, 100.0};
  const auto model =
      wf::test::fault_model("write_error")
          .create(model_params(wf::test::fault_model("write_error"),
                               {{"technology", std::string("dram")}, {"t_wr_ns", 11.8}}));
  // Cells needing more than the 12 ns of the manufacturer's test were repaired: a cell
  // fails iff 11.8 ns < t_req <= 12 ns, given t_req <= 12 ns.
  const double p = (phi((12.0 - 8.0) / 1.2) - phi((11.8 - 8.0) / 1.2)) / phi((12.0 - 8.0) / 1.2);
  const auto maps = draws(*model, context(m, bits, tl), 300, 92);
  for (const double t : tl.checkpoints) {
    CHECK(wf::test::counts_match_binomial(active_counts(maps, t), static_cast<double>(bits), p));
  }
  CHECK_FALSE(wf::test::counts_match_binomial(active_counts(maps, 150.0), static_cast<double>(bits),
                                              2 * p));
  // At the nominal tWR (15 ns >= the 12 ns test) no cell fails; without the screening it
  // would be Phi((8 - 15) / 1.2) = 2.7e-9 per bit per write.
  const auto nominal = wf::test::fault_model("write_error")
                           .create(model_params(wf::test::fault_model("write_error"),
                                                {{"technology", std::string("dram")}}));
  CHECK(nominal->expected_faults(context(m, bits, tl)) == 0.0);
}

TEST_CASE(
    "field_faults: a Weibull hazard with shape 0.5 puts half the permanent faults in the "
    "first quarter of life") {
  Geometry g;
  g.rows = 2048;
  const AddressMapping m(g, "RoBaRaCoCh");
  const double life_s = 7 * kYear;
  const auto model = wf::test::fault_model("field_faults")
                         .create(model_params(wf::test::fault_model("field_faults"),
                                              {{"kinds", std::string("permanent")},
                                               {"weibull_shape", 0.5},
                                               {"fit_scale", 2000.0}}));
  Timeline tl;
  tl.checkpoints = {life_s};
  const auto ctx = context(m, g.total_bits(), tl);
  double early = 0, total = 0;
  for (const auto& map : draws(*model, ctx, 300, 93)) {
    for (const auto& r : map.records()) {
      total += 1;
      early += r.onset_s < life_s / 4 ? 1 : 0;
    }
  }
  // Lambda(t) ~ (t / L)^0.5: a quarter of life holds half the expected faults.
  const auto proportion_ok = [&](double p) {
    return std::abs(early - total * p) < 4 * std::sqrt(total * p * (1 - p));
  };
  CHECK(total > 1000);
  CHECK(proportion_ok(0.5));
  CHECK_FALSE(proportion_ok(0.25));  // the constant-rate answer
}

TEST_CASE("scrub with SEC-DED write-back clears lone flips at the next scrub, not double ones") {
  const auto net = wf::test::tiny_mnist_network(5);
  const AddressMapping m(Geometry{}, "RoBaRaCoCh");
  const auto secded = wf::sim::store_network(net, wf::storage::make_protection("secded"),
                                             {wf::storage::dtype_named("fp32"), {}, false},
                                             PlacementPolicy::packed, m);
  const auto plain = wf::sim::store_network(net, wf::storage::make_protection("none"),
                                            {wf::storage::dtype_named("fp32"), {}, false},
                                            PlacementPolicy::packed, m);
  const auto bit_of = [&](const wf::storage::StoredImage& image, std::uint64_t word,
                          std::uint32_t b) {
    return image.placement().memory_bit(
        image.placement().image_bit(image.tensors()[0].segment, word, b));
  };
  FaultMap map;
  // Codeword 0 (fp32 words 0 and 1): one flip at 10 s -> corrected at the 100 s scrub; a
  // second flip at 150 s -> corrected at 200 s.
  map.add(BitFault{bit_of(secded, 0, 3), FaultKind::flip, 0, 10.0, kNever});
  map.add(BitFault{bit_of(secded, 1, 7), FaultKind::flip, 0, 150.0, kNever});
  // Codeword 1 (words 2 and 3): two flips before the first scrub -> uncorrectable, both stay.
  map.add(BitFault{bit_of(secded, 2, 3), FaultKind::flip, 0, 10.0, kNever});
  map.add(BitFault{bit_of(secded, 3, 3), FaultKind::flip, 0, 20.0, kNever});
  const auto out = wf::sim::scrubbed(map, secded, m, 100.0);
  CHECK(out.bit_faults()[0].clear_s == 100.0);
  CHECK(out.bit_faults()[1].clear_s == 200.0);
  CHECK(out.bit_faults()[2].clear_s == kNever);
  CHECK(out.bit_faults()[3].clear_s == kNever);
  // A single-bit record (no wildcard) is a lone flip too.
  FaultMap record_map;
  FaultRecord single;
  single.address = m.to_physical(bit_of(secded, 4, 9));
  single.onset_s = 10.0;
  record_map.add(single);
  const auto from_record = wf::sim::scrubbed(record_map, secded, m, 100.0);
  REQUIRE(from_record.bit_faults().size() == 1);
  CHECK(from_record.bit_faults()[0].clear_s == 100.0);
  // Without a correcting code nothing is written back.
  FaultMap lone;
  lone.add(BitFault{bit_of(plain, 0, 3), FaultKind::flip, 0, 10.0, kNever});
  CHECK(wf::sim::scrubbed(lone, plain, m, 100.0).bit_faults()[0].clear_s == kNever);
}

TEST_CASE("row_hammer: weight rows hammer their neighbours; counts follow the threshold law") {
  // An image over the first 40 rows of bank 0 (one rank, 8 x8 devices, RoBaRaCoCh walks a
  // row's columns first, then banks, then rows -- so bank 0 holds every 8th row's worth:
  // the image's rows are rows 0..4 of banks 0..7). Each held row is activated
  // A = rate x per_inference x tREF times per window; an inner row's hammer count is
  // 2A + 2 w2 A, an edge row's less. Cells below threshold H: N Phi((ln H - ln m) / s),
  // with ln m = ln HCfirst - s Phi^-1(1 / 2^33).
  Geometry g;
  g.rows = 1024;
  g.columns = 256;
  const AddressMapping m(g, "RoBaRaCoCh");
  const std::uint64_t row_bits = 256 * 64;
  const std::uint64_t extent = 40 * row_bits;  // 5 rows in each of 8 banks
  Timeline tl;
  tl.checkpoints = {0.03, 1.0, 100.0};
  tl.writes = {0.0, 50.0};
  const auto make = [](double rate, double trr) {
    return wf::test::fault_model("row_hammer")
        .create(model_params(wf::test::fault_model("row_hammer"),
                             {{"inference_rate_hz", rate},
                              {"activations_per_inference", 1000.0},
                              {"trr_tracked_rows", trr},
                              {"cell_layout", std::string("all_true")}}));
  };
  const double s = 1.0;
  const double log_m =
      std::log(10000.0) - s * boost::math::quantile(boost::math::normal(), 1.0 / 8589934592.0);
  const auto below = [&](double h) { return phi((std::log(h) - log_m) / s); };
  const double a = 2000.0 * 1000.0 * 0.064;  // 128,000 activations per window
  // Per bank: rows 0..4 hold weights. Row 0: A(1) + w2 A(2); row 1: A(0) + A(2) + w2 A(3);
  // rows 2: 2A + 2 w2 A; row 3: 2A + w2 A; row 4: A(3) + w2 A(2).
  const double per_bank =
      static_cast<double>(row_bits) *
      (below(a * 1.1) + below(a * 2.1) + below(a * 2.2) + below(a * 2.1) + below(a * 1.1));
  const double expected = 8.0 * per_bank;
  const auto ctx = context(m, extent, tl);
  const auto hammer = make(2000.0, 0.0);
  CHECK(hammer->expected_faults(ctx) == doctest::Approx(expected));
  CHECK(hammer->expected_active(ctx, 1.0) == doctest::Approx(expected));
  const auto maps = draws(*hammer, ctx, 200, 95);
  CHECK(counts_match_poisson(active_counts(maps, 1.0), expected));
  CHECK_FALSE(counts_match_poisson(active_counts(maps, 1.0), 8.0 * 5 * row_bits * below(a * 2.2)));
  // Within the first window only cells with thresholds below the count reached so far.
  const auto early = active_counts(maps, 0.03);
  MESSAGE("at 0.03 s: simulated ", std::accumulate(early.begin(), early.end(), 0.0) / 200,
          " expected ", hammer->expected_active(ctx, 0.03), " of ", expected);
  CHECK(mean_matches(active_counts(maps, 0.03), hammer->expected_active(ctx, 0.03)));
  CHECK(hammer->expected_active(ctx, 0.03) < 0.5 * expected);
  // All-true cells read 0; a rewrite clears and the same cells flip again.
  for (const auto& map : maps) {
    for (const auto& f : map.bit_faults()) REQUIRE(f.kind == FaultKind::stuck_at_0);
  }
  CHECK(counts_match_poisson(active_counts(maps, 100.0), expected));
  // A weight read once per inference at 100 inferences/s is far below HCfirst: nothing.
  const auto gentle = wf::test::fault_model("row_hammer")
                          .create(model_params(wf::test::fault_model("row_hammer"), {}));
  CHECK(gentle->expected_faults(ctx) < 1e-6);
  // A TRR tracker as large as the hammered rows of a bank shields them all; half as large,
  // half the activations.
  CHECK(make(2000.0, 5.0)->expected_faults(ctx) == 0.0);
  const auto half = make(4000.0, 2.5);
  CHECK(half->expected_faults(ctx) == doctest::Approx(expected));
}

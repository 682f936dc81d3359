// Question: do the device models, with their shipped defaults, reproduce the
// published anchor points of docs/validation.md? Each anchor is one check of
// the simulated value (fixed seed, enough draws that sampling noise is small
// against the tolerance) against the published value, with the tolerance the
// document justifies. The formulas themselves are tested against their own
// analytic expectations in tests/test_physics_models.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>
#include <set>

#include "memory_models/environment.h"
#include "memory_models/fault_model.h"
#include "tests/fixtures.h"
#include "tests/physics_fixtures.h"
#include "tests/statistics_checks.h"

namespace wf = weightfault;
using namespace wf::memory;
using wf::test::active_counts;
using wf::test::context;
using wf::test::draws;
using wf::test::kDay;
using wf::test::kYear;
using wf::test::model_params;
using wf::test::Timeline;

namespace {

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// Simulated / published, checked against a symmetric factor.
bool within_factor(double simulated, double published, double factor) {
  const double ratio = simulated / published;
  MESSAGE("simulated ", simulated, ", published ", published, ", ratio ", ratio, " (tolerance x",
          factor, ")");
  return ratio >= 1.0 / factor && ratio <= factor;
}

Geometry gib(std::uint64_t gibibytes) {  // 4 GiB per rank of the default geometry
  Geometry g;
  g.ranks = gibibytes / 4;
  return g;
}

std::unique_ptr<FaultModel> retention(
    std::initializer_list<std::pair<const char*, wf::ParamValue>> overrides) {
  return wf::test::fault_model("dram_retention")
      .create(model_params(wf::test::fault_model("dram_retention"), overrides));
}

// Mean failing retention cells of an unscreened memory at a constant temperature, one
// moment after the load (VRT cells in their stationary state: a single test, as the
// anchors' measurements are).
double raw_failing_cells(const Geometry& g, double temperature_c, double refresh_s, int n,
                         std::uint64_t seed) {
  const AddressMapping m(g, "RoBaRaCoCh");
  Timeline tl;
  tl.checkpoints = {1.0};
  tl.env.temperature_c = Profile(temperature_c);
  const auto model = retention({{"screen_guardband", 0.0},
                                {"tail_growth_per_year", 0.0},
                                {"refresh_interval_s", refresh_s}});
  return mean_of(active_counts(draws(*model, context(m, g.total_bits(), tl), n, seed), 1.0));
}

}  // namespace

TEST_CASE("validation: DRAM retention, RAIDR's weak-cell counts at 45 C per 32 GB") {
  // RAIDR (Liu et al., ISCA 2012): ~30 cells need a refresh below 128 ms and fewer than
  // ~1000 below 256 ms in a 32 GB system at 45 C. Tolerance x1.5: the anchors are quoted
  // to one figure and the fit has 3 parameters for 4 anchors (docs/validation.md).
  const Geometry g = gib(32);
  CHECK(within_factor(raw_failing_cells(g, 45.0, 0.128, 40, 301), 30.0, 1.5));
  CHECK(within_factor(raw_failing_cells(g, 45.0, 0.256, 10, 302), 1000.0, 1.5));
  // Negative control: the slope between them is RAIDR's ~33x per doubling, not a flat tail.
  CHECK_FALSE(within_factor(raw_failing_cells(g, 45.0, 0.256, 10, 302), 30.0 * 2.0, 1.5));
}

TEST_CASE("validation: DRAM retention, RAPID's page retention at room temperature") {
  // RAPID (Venkatesan et al., HPCA 2006): 99 % of pages retain data > 3 s and 85 % > 10 s
  // at room temperature (25 C taken [E]); 4 KiB pages. Fraction of pages with a cell
  // failing at that window: 1 % and 15 %. Tolerance x1.5 as above.
  const Geometry g = gib(4);
  const AddressMapping m(g, "RoBaRaCoCh");
  const double pages = static_cast<double>(g.total_bits()) / 32768.0;
  for (const auto& [window_s, published] : {std::pair{3.0, 0.01}, std::pair{10.0, 0.15}}) {
    const double window = window_s;  // (clang 14: INFO cannot capture a structured binding)
    INFO("window ", window, " s");
    Timeline tl;
    tl.checkpoints = {1.0};
    tl.env.temperature_c = Profile(25.0);
    const auto model = retention({{"screen_guardband", 0.0},
                                  {"tail_growth_per_year", 0.0},
                                  {"refresh_interval_s", window_s}});
    std::set<std::uint64_t> failing_pages;
    for (const auto& map : draws(*model, context(m, g.total_bits(), tl), 1, 303)) {
      for (const auto& f : map.bit_faults()) {
        if (f.active_at(1.0)) failing_pages.insert(f.linear_bit / 32768);
      }
    }
    CHECK(within_factor(static_cast<double>(failing_pages.size()) / pages, published, 1.5));
  }
}

TEST_CASE("validation: DRAM retention halves per ~10 C (Arrhenius, 45-85 C)") {
  // Retention roughly halves per 10 C (the rule Hamamoto's 0.6 eV reproduces [R]): the
  // cells failing at T + 10 C with a window w match those failing at T with 2w. The count's
  // local slope here is ~3.8 per e-fold of the window, so a halving factor in [1.7, 2.3]
  // per 10 C maps to a count ratio in [0.54, 1.70].
  Geometry g;
  g.rows = 8192;  // 4 Gibit: 10^4..10^6 failing cells per draw
  for (const double t_c : {45.0, 65.0, 75.0}) {
    INFO("from ", t_c, " C");
    const double hot = raw_failing_cells(g, t_c + 10.0, 1.0, 3, 304);
    const double cool = raw_failing_cells(g, t_c, 2.0, 3, 305);
    CHECK(within_factor(hot / cool, 1.0, 1.70));
    // Negative control: without the doubled window the counts differ by far more.
    CHECK_FALSE(within_factor(hot / raw_failing_cells(g, t_c, 1.0, 3, 306), 1.0, 1.70));
  }
}

TEST_CASE("validation: DRAM retention within its specification fails ~nothing in the field") {
  // Schroeder et al. (SIGMETRICS 2009): > 8 % of DIMMs see a correctable error per year,
  // mostly from hard faults (Hwang et al. ASPLOS 2012). In-spec retention must be a small
  // part of that: screened parts (85 C, 64 ms, guardband 4) at 60 C with the JEDEC 64 ms
  // window give fewer than 0.008 failing cells per 8 GB DIMM per year (a tenth of the
  // budget); what remains are cells weakened after shipping (tail_growth_per_year).
  const Geometry g = gib(8);
  const AddressMapping m(g, "RoBaRaCoCh");
  Timeline tl;
  tl.checkpoints = {kYear};
  tl.env.temperature_c = Profile(60.0);
  const auto model = retention({});
  const auto ctx = context(m, g.total_bits(), tl);
  const double expected = model->expected_active(ctx, kYear);
  MESSAGE("expected failing cells per 8 GB DIMM-year at 60 C / 64 ms: ", expected);
  CHECK(expected < 0.008);
  // 2000 DIMM-years simulated: the total is Poisson(2000 x expected), ~4.
  const auto counts = active_counts(draws(*model, ctx, 2000, 307), kYear);
  const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
  CHECK(total < 2000.0 * expected + 4.0 * std::sqrt(2000.0 * expected) + 1.0);
  CHECK(mean_of(counts) < 0.008);
  // The unscreened population would fail tens per DIMM (the negative control).
  const auto raw = retention({{"screen_guardband", 0.0}});
  CHECK(raw->expected_active(ctx, kYear) > 10.0);
}

TEST_CASE("validation: field faults, Jaguar's FIT per device and Schroeder's DIMM fraction") {
  // Sridharan & Liberty (SC12), FaultSim's table: 66.1 FIT per device, 32.8 of it
  // single-bit. Simulated over 18 x 10^5 device-years per draw (~20,000 faults in all:
  // a 4-sigma Poisson band is +-3 %).
  Geometry g;
  g.chips = 18;  // an x4 ECC DIMM's devices
  g.device_width = 4;
  const AddressMapping m(g, "RoBaRaCoCh");
  const auto model = wf::test::fault_model("field_faults")
                         .create(model_params(wf::test::fault_model("field_faults"), {}));
  Timeline long_run;
  long_run.checkpoints = {1e5 * kYear};
  const auto maps = draws(*model, context(m, g.total_bits(), long_run), 20, 308);
  double all = 0, single_bit = 0;
  for (const auto& map : maps) {
    all += static_cast<double>(map.size());
    for (const auto& r : map.records()) single_bit += r.wildcard == 0 ? 1.0 : 0.0;
  }
  const double device_hours = 20.0 * 18.0 * 1e5 * kYear / 3600.0;
  const double fit_all = all / device_hours * 1e9, fit_bit = single_bit / device_hours * 1e9;
  CHECK(std::abs(all - 66.1e-9 * device_hours) < 4.0 * std::sqrt(66.1e-9 * device_hours));
  CHECK(within_factor(fit_all, 66.1, 1.05));
  CHECK(within_factor(fit_bit, 32.8, 1.06));
  CHECK_FALSE(within_factor(fit_all, 66.1 * 1.1, 1.05));  // negative control

  // Schroeder: > 8 % of DIMMs see a correctable error per year. Jaguar's rates give ~1 %
  // of 18-device DIMMs with any fault per year: a documented gap between the fleets
  // (docs/validation.md), checked to stay within [1/10, 1] of the Google figure.
  Timeline year;
  year.checkpoints = {kYear};
  const auto dimms = draws(*model, context(m, g.total_bits(), year), 20000, 309);
  double with_fault = 0;
  for (const auto& map : dimms) with_fault += map.size() > 0 ? 1.0 : 0.0;
  const double fraction = with_fault / 20000.0;
  const double analytic = -std::expm1(-18.0 * 66.1e-9 * kYear / 3600.0);
  CHECK(std::abs(fraction - analytic) < 4.0 * std::sqrt(analytic * (1 - analytic) / 20000.0));
  MESSAGE("DIMMs with a fault in a year: ", fraction, " (Schroeder: > 0.08)");
  CHECK(fraction / 0.08 > 0.1);
  CHECK(fraction / 0.08 < 1.0);
}

TEST_CASE("validation: SEU rate with altitude follows JESD89A") {
  // JESD89A Annex A: Denver (1609 m) ~4x New York City, ~300x at aircraft altitude (10 km)
  // [R]. Simulated upsets relative to sea level; tolerance x1.15 at Denver, x1.3 at 10 km
  // (the published factors are quoted to one figure).
  const Geometry g = gib(4);
  const AddressMapping m(g, "RoBaRaCoCh");
  const auto model = wf::test::fault_model("seu").create(
      model_params(wf::test::fault_model("seu"), {{"fit_per_mbit", 100.0}}));
  const auto upsets = [&](double altitude_m) {
    Timeline tl;
    tl.checkpoints = {30.0 * kDay};
    tl.env.altitude_m = Profile(altitude_m);
    double n = 0;
    for (const auto& map : draws(*model, context(m, g.total_bits(), tl), 20, 310)) {
      n += static_cast<double>(map.size());
    }
    return n;
  };
  const double sea = upsets(0.0);
  CHECK(within_factor(upsets(1609.0) / sea, 4.0, 1.15));
  CHECK(within_factor(upsets(10000.0) / sea, 300.0, 1.3));
  CHECK_FALSE(within_factor(upsets(5000.0) / sea, 4.0, 1.15));  // negative control
}

TEST_CASE("validation: SRAM failing fraction at the published Vmin anchors") {
  // Wilkerson et al. (ISCA 2008), 65 nm: ~1e-3 of cells fail at 500 mV; 1e-12 at the
  // 825 mV Vccmin of a conventional cache. Tolerance x2 (one-figure anchors).
  for (const auto& [vdd_v, published, log2_bits] :
       {std::tuple{0.5, 1e-3, 24}, std::tuple{0.825, 1e-12, 44}}) {
    const double vdd = vdd_v;
    INFO("vdd ", vdd, " V");
    Geometry g;
    g.rows = std::uint64_t{1} << (log2_bits - 19);  // 2^19 bits per row of the default rank
    const AddressMapping m(g, "RoBaRaCoCh");
    Timeline tl;
    tl.checkpoints = {1.0};
    tl.env.vdd_v = Profile(vdd_v);
    const auto model = wf::test::fault_model("sram_cell")
                           .create(model_params(wf::test::fault_model("sram_cell"), {}));
    const auto counts = active_counts(draws(*model, context(m, g.total_bits(), tl), 10, 311), 1.0);
    CHECK(within_factor(mean_of(counts) / static_cast<double>(g.total_bits()), published, 2.0));
  }
}

TEST_CASE("validation: STT-MRAM write error rate against the closed-form examples") {
  // No measured WER curve is in the project's sources [E]: the anchor is the closed form's
  // worked example (research notes: Delta 60, tau_D 2 ns, i = 1.5: 2.2e-3 at 20 ns,
  // 7e-10 at 50 ns [E, arithmetic]). The model multiplies in the thermal branch
  // (barrier floored at 5 kT): 0.87 and 0.71 here, inside the x1.5 tolerance.
  for (const auto& [pulse_ns, published, log2_bits] :
       {std::tuple{20.0, 2.2e-3, 22}, std::tuple{50.0, 7e-10, 38}}) {
    const double pulse = pulse_ns;
    INFO("pulse ", pulse, " ns");
    Geometry g;
    g.rows = std::uint64_t{1} << (log2_bits - 19);
    const AddressMapping m(g, "RoBaRaCoCh");
    Timeline tl;
    tl.checkpoints = {1.0};
    const auto model = wf::test::fault_model("write_error")
                           .create(model_params(wf::test::fault_model("write_error"),
                                                {{"pulse_width_ns", pulse_ns},
                                                 {"current_ratio_0to1", 1.5},
                                                 {"current_ratio_1to0", 1.5}}));
    const auto counts = active_counts(draws(*model, context(m, g.total_bits(), tl), 10, 312), 1.0);
    CHECK(within_factor(mean_of(counts) / static_cast<double>(g.total_bits()), published, 1.5));
  }
}

TEST_CASE("validation: row hammer, the first flip of a device at HCfirst") {
  // Kim et al. (ISCA 2020): the most vulnerable DDR4/LPDDR4 chips flip their first cell
  // after ~10,000 activations of the neighbouring rows (9,600 in the worst chip). The
  // model's thresholds are set from that anchor; this checks the whole chain (rows, hammer
  // counts, sampling): an 8 Gib x8 device whose every row is hammered 10,000 times per
  // window shows ~1 flipped cell (the edge rows, hammered less, subtract a little).
  Geometry g;
  g.chips = 1;
  g.banks = 2;
  g.rows = 16384;
  g.columns = 32768;  // 8 Gib (long rows: fewer of them to walk)
  const AddressMapping m(g, "RoBaRaCoCh");
  Timeline tl;
  tl.checkpoints = {1.0};
  // Interior rows: 2A + 2 x 0.1 A = 2.2 A = 10,000 activations per 64 ms window.
  const double per_second = 10000.0 / 2.2 / 0.064;
  const auto model = wf::test::fault_model("row_hammer")
                         .create(model_params(wf::test::fault_model("row_hammer"),
                                              {{"inference_rate_hz", per_second},
                                               {"activations_per_inference", 1.0}}));
  const auto ctx = context(m, g.total_bits(), tl);
  const auto counts = active_counts(draws(*model, ctx, 200, 313), 1.0);
  CHECK(within_factor(mean_of(counts), 1.0, 1.25));  // 200 devices: +-25 % is 3.5 sigma
  CHECK(wf::test::counts_match_poisson(counts, model->expected_faults(ctx)));
}

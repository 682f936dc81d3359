// Question: is every kind of scenario mistake reported as
// file:line:col: key: rule; got 'value' -- with the valid choices -- and are
// all mistakes of a file reported together?
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>

#include "common/input_error.h"
#include "sim/scenario.h"
#include "tests/fixtures.h"

namespace wf = weightfault;

namespace {

const char* const kValid = R"(
[model]
file = "data/models/mnist_cnn.h5"
[dataset]
name = "mnist"
limit = 100
[memory]
rows = 2048
mapping = "RoBaRaCoCh"
[[fault_model]]
name = "uniform_ber"
[sweep]
ber = [1e-6, 1e-5]
[campaign]
dtypes = ["fp32", "q1.6"]
trials = 3
output = "results/x.h5"
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

using wf::test::builtin_registry;

wf::sim::Scenario load_text(const std::string& text) {
  const auto dir = wf::test::fresh_dir("scenario");
  const auto path = dir / "s.toml";
  std::ofstream(path) << text;
  return wf::sim::load_scenario(path, builtin_registry());
}

std::string error_of(const std::string& text) {
  try {
    load_text(text);
  } catch (const wf::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a valid scenario loads with defaults filled in") {
  const auto sc = load_text(kValid);
  CHECK(sc.points() == 2);
  CHECK(sc.dtypes.size() == 2);
  REQUIRE(sc.protections.size() == 1);
  CHECK(sc.protections[0].name == "none");
  CHECK(sc.protections[0].stages.empty());
  CHECK(sc.params_at(0, 1).number("ber") == 1e-5);
  CHECK(sc.geometry.rows == 2048);
  CHECK(sc.geometry.banks == 8);
  CHECK(sc.seed == 1);
}

TEST_CASE("scenario: an unknown key is an error listing the known keys") {
  CHECK_THROWS_WITH_AS(
      load_text(replace(kValid, "limit = 100", "limt = 100")),
      doctest::Contains("s.toml:6:1: dataset.limt: unknown key (known: limit, name, split)"),
      wf::InputError);
}

TEST_CASE("scenario: an unknown top-level table is an error") {
  CHECK_THROWS_WITH_AS(
      load_text(std::string(kValid) + "[campain]\nx = 1\n"),
      doctest::Contains(
          "campain: unknown table or key (known: campaign, dataset, "
          "environment, fault_model, inference, memory, model, protection, sweep, timeline)"),
      wf::InputError);
}

TEST_CASE("scenario: a wrong type names the rule and the value") {
  CHECK_THROWS_WITH_AS(
      load_text(replace(kValid, "trials = 3", "trials = \"three\"")),
      doctest::Contains("campaign.trials: expected an integer in [1, 1000000]; got 'three'"),
      wf::InputError);
}

TEST_CASE("scenario: an out-of-range value is an error") {
  CHECK_THROWS_WITH_AS(
      load_text(replace(kValid, "rows = 2048", "rows = 0")),
      doctest::Contains(":8:8: memory.rows: expected an integer in [1, 16777216]; got '0'"),
      wf::InputError);
}

TEST_CASE("scenario: an unknown fault model lists the known ones") {
  const std::string want =
      fmt::format("fault_model[0].name: unknown fault model (known: {}); got 'uniform_bre'",
                  fmt::join(wf::test::builtin_registry().names(), ", "));
  CHECK_THROWS_WITH_AS(load_text(replace(kValid, "\"uniform_ber\"", "\"uniform_bre\"")),
                       doctest::Contains(want.c_str()), wf::InputError);
}

TEST_CASE("scenario: an unknown dtype lists the valid ones") {
  CHECK_THROWS_WITH_AS(load_text(replace(kValid, "\"q1.6\"", "\"q2.6\"")),
                       doctest::Contains("campaign.dtypes: expected one of: fp32, fp16, bf16, "
                                         "q<m>.<n> (m + n = 7, e.g. q1.6), int8_sym; got 'q2.6'"),
                       wf::InputError);
}

TEST_CASE("scenario: an unknown protection lists the known ones") {
  CHECK_THROWS_WITH_AS(
      load_text(replace(kValid, "trials = 3", "trials = 3\nprotections = [\"ecc\"]")),
      doctest::Contains(
          "campaign.protections: unknown protection stage 'ecc' (known: none, ondie_ecc, scale, "
          "clamp, parity_zero, secded, chipkill, clip_act, saf, layer_drop; chain stages with "
          "'+'); got 'ecc'"),
      wf::InputError);
}

TEST_CASE("scenario: a missing required key is named") {
  CHECK_THROWS_WITH_AS(load_text(replace(kValid, "output = \"results/x.h5\"", "")),
                       doctest::Contains("campaign.output: required key is missing"),
                       wf::InputError);
}

TEST_CASE("scenario: a missing required table is named") {
  CHECK_THROWS_WITH_AS(
      load_text(replace(kValid, "[model]\nfile = \"data/models/mnist_cnn.h5\"", "")),
      doctest::Contains("model: required table is missing"), wf::InputError);
}

TEST_CASE("scenario: a fault-model parameter out of range names the parameter's rule") {
  CHECK_THROWS_WITH_AS(load_text(replace(kValid, "ber = [1e-6, 1e-5]", "ber = [1e-6, 1.5]")),
                       doctest::Contains("sweep.ber: a number in [0, 1]; got '1.5'"),
                       wf::InputError);
}

TEST_CASE("scenario: sweeping a parameter no fault model has lists the sweepable ones") {
  CHECK_THROWS_WITH_AS(
      load_text(replace(kValid, "ber = [1e-6, 1e-5]", "ber = [1e-6, 1e-5]\nrate = [1, 2]")),
      doctest::Contains(
          "sweep.rate: not a sweepable parameter of this scenario's fault models (sweepable: ber)"),
      wf::InputError);
}

TEST_CASE("scenario: zipped sweep axes of different lengths are an error") {
  const std::string text =
      replace(replace(kValid, "name = \"uniform_ber\"",
                      "name = \"uniform_ber\"\n[[fault_model]]\nname = \"stuck_at\""),
              "ber = [1e-6, 1e-5]", "ber = [1e-6, 1e-5]\nfraction = [1e-6]");
  CHECK_THROWS_WITH_AS(
      load_text(text),
      doctest::Contains("sweep.fraction: expected 2 values like sweep.ber (axes are zipped)"),
      wf::InputError);
}

TEST_CASE("scenario: a parameter both set and swept is an error") {
  CHECK_THROWS_WITH_AS(
      load_text(replace(kValid, "name = \"uniform_ber\"", "name = \"uniform_ber\"\nber = 1e-3")),
      doctest::Contains("sweep.ber: also set in fault_model[0]; set it in one place"),
      wf::InputError);
}

TEST_CASE("scenario: a required fault-model parameter that is neither set nor swept is named") {
  CHECK_THROWS_WITH_AS(load_text(replace(kValid, "ber = [1e-6, 1e-5]", "")),
                       doctest::Contains("fault_model[0].ber: required parameter of 'uniform_ber' "
                                         "is missing (a number in [0, 1], unit 1/bit)"),
                       wf::InputError);
}

TEST_CASE("scenario: a bad address mapping explains the tokens") {
  CHECK_THROWS_WITH_AS(
      load_text(replace(kValid, "\"RoBaRaCoCh\"", "\"RowBankCol\"")),
      doctest::Contains("memory.mapping: address mapping 'RowBankCol': unknown token 'wB'"),
      wf::InputError);
}

TEST_CASE("scenario: an invalid device width lists the valid ones") {
  CHECK_THROWS_WITH_AS(load_text(replace(kValid, "rows = 2048", "rows = 2048\ndevice_width = 6")),
                       doctest::Contains("memory.device_width: expected one of: 4, 8, 16; got '6'"),
                       wf::InputError);
}

TEST_CASE("scenario: an unknown dataset lists the valid ones") {
  CHECK_THROWS_WITH_AS(
      load_text(replace(kValid, "name = \"mnist\"", "name = \"cifar10\"")),
      doctest::Contains("dataset.name: expected one of: mnist, fashion-mnist; got 'cifar10'"),
      wf::InputError);
}

TEST_CASE("scenario: a TOML syntax error gives file, line and column") {
  CHECK_THROWS_WITH_AS(load_text(replace(kValid, "trials = 3", "trials = = 3")),
                       doctest::Contains("s.toml:16:10: TOML syntax error"), wf::InputError);
}

TEST_CASE("scenario: a missing file is reported") {
  wf::memory::FaultModelRegistry registry;
  CHECK_THROWS_WITH_AS(wf::sim::load_scenario("no/such.toml", registry),
                       "no/such.toml: scenario file not found", wf::InputError);
}

TEST_CASE("scenario: a fixed-point override must be a q<m>.<n> format") {
  CHECK_THROWS_WITH_AS(
      load_text(replace(kValid, "trials = 3",
                        "trials = 3\nfixed_point_overrides = { dense_1 = \"fp16\" }")),
      doctest::Contains("campaign.fixed_point_overrides.dense_1: expected a fixed-point format "
                        "q<m>.<n> with m + n = 7; got 'fp16'"),
      wf::InputError);
}

TEST_CASE("scenario: all mistakes of a file are reported together, one per line") {
  const std::string text =
      replace(replace(replace(kValid, "limit = 100", "limt = 100"), "trials = 3", "trials = -1"),
              "\"q1.6\"", "\"q9.9\"");
  const std::string message = error_of(text);
  CHECK(message.find("dataset.limt") != std::string::npos);
  CHECK(message.find("campaign.trials") != std::string::npos);
  CHECK(message.find("campaign.dtypes") != std::string::npos);
  CHECK(std::count(message.begin(), message.end(), '\n') == 2);
}

TEST_CASE("scenario: a timeline gives checkpoints; models of time need one") {
  const std::string seu =
      replace(kValid, "name = \"uniform_ber\"", "name = \"seu\"\nfit_per_mbit = 10");
  const std::string no_sweep = replace(seu, "ber = [1e-6, 1e-5]", "");
  CHECK_THROWS_WITH_AS(
      load_text(no_sweep),
      doctest::Contains("fault_model[0]: 'seu' makes faults over simulated time; add a [timeline]"),
      wf::InputError);
  const auto sc =
      load_text(no_sweep +
                "[timeline]\nlog_checkpoints = { first_s = 1, last_s = 100, count = 3 }\n"
                "rewrite_interval_s = 5\n");
  REQUIRE(sc.checkpoints() == 3);
  CHECK(sc.checkpoints_s[1] == doctest::Approx(10.0));
  CHECK(sc.rewrite_interval_s == 5.0);
  CHECK_THROWS_WITH_AS(
      load_text(no_sweep + "[timeline]\ncheckpoints_s = [10, 5]\n"),
      doctest::Contains("timeline.checkpoints_s: expected a non-empty increasing array of times"),
      wf::InputError);
}

TEST_CASE("scenario: `none` is always compared, first, even when not listed") {
  const auto sc =
      load_text(replace(kValid, "trials = 3", "trials = 3\nprotections = [\"secded\", \"clamp\"]"));
  REQUIRE(sc.protections.size() == 3);
  CHECK(sc.protections[0].name == "none");
  CHECK(sc.protections[1].name == "secded");
}

TEST_CASE(
    "scenario: environment profiles are constants, steps or linear cycles; bad ones say why") {
  const std::string base = std::string(kValid) + "[timeline]\ncheckpoints_s = [10, 100]\n";
  const auto sc = load_text(base +
                            "[environment]\ntemperature_c = { linear = [[0, 20], [43200, 40]], "
                            "repeat_s = 86400 }\nvdd_v = 0.7\n");
  CHECK(sc.environment.temperature_c.at(43200) == doctest::Approx(40));
  CHECK(sc.environment.temperature_c.at(86400 + 21600) == doctest::Approx(30));
  REQUIRE(sc.environment.vdd_v.has_value());
  CHECK(sc.environment.vdd_v->at(5) == 0.7);
  CHECK_THROWS_WITH_AS(
      load_text(base + "[environment]\ntemperature_c = { steps = [[5, 20]] }\n"),
      doctest::Contains("environment.temperature_c.steps: expected [[t_s, value], ...] starting at "
                        "t_s = 0 with increasing times and values in [-60, 200]; got"),
      wf::InputError);
  CHECK_THROWS_WITH_AS(load_text(base + "[environment]\ntemprature_c = 40\n"),
                       doctest::Contains("environment.temprature_c: unknown key (known: "
                                         "altitude_m, flux_factor, temperature_c, vdd_v)"),
                       wf::InputError);
  CHECK_THROWS_WITH_AS(
      load_text(base +
                "[environment]\nvdd_v = { linear = [[0, 0.7], [100, 0.6]], repeat_s = 50 }\n"),
      doctest::Contains("environment.vdd_v.repeat_s: must be larger than the last point's time"),
      wf::InputError);
}

TEST_CASE("[inference] nan_policy is read, defaults to propagate, and a misspelling is refused") {
  CHECK(load_text(kValid).nan_policy == wf::nn::NanPolicy::propagate);
  CHECK(load_text(std::string(kValid) + "[inference]\nnan_policy = \"flush_relu\"\n").nan_policy ==
        wf::nn::NanPolicy::flush_relu);
  const auto bad = error_of(std::string(kValid) + "[inference]\nnan_policy = \"flush\"\n");
  CHECK(bad.find("inference.nan_policy: expected one of: propagate, flush_relu; got 'flush'") !=
        std::string::npos);
  CHECK(error_of(std::string(kValid) + "[inference]\nnan = \"propagate\"\n")
            .find("inference.nan: unknown key (known: nan_policy)") != std::string::npos);
}

// Questions: is a campaign reproducible whatever the trial pool size? Does a
// replayed fault_list flip give exactly the predictions of the plain-loop
// reference layers on the same corrupted weights? Does --only-trial rerun a
// trial exactly?
#include <doctest/doctest.h>

#include <bit>
#include <fstream>

#include "common/hdf5_file.h"
#include "common/input_error.h"
#include "memory_models/fault_model.h"
#include "nn/dataset.h"
#include "nn/inference_engine.h"
#include "nn/metrics.h"
#include "nn/model_file.h"
#include "sim/campaign.h"
#include "sim/network_storage.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/summary_stats.h"
#include "tests/fixtures.h"
#include "tests/reference_layers.h"

namespace wf = weightfault;
namespace h5 = wf::h5;

namespace {

using wf::test::builtin_registry;

wf::sim::Scenario write_and_load(const std::filesystem::path& dir, const std::string& body) {
  const auto path = dir / "scenario.toml";
  std::ofstream(path) << "[model]\nfile = \"" << wf::test::mnist_cnn_path().string() << "\"\n"
                      << body;
  return wf::sim::load_scenario(path, builtin_registry());
}

std::vector<double> doubles(const std::filesystem::path& file, const std::string& path) {
  const auto f = h5::open_file(file);
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return h5::read_doubles(h5::open_dataset(f, path));
  return h5::read_doubles(
      h5::open_dataset(h5::open_group(f, path.substr(0, slash)), path.substr(slash + 1)));
}

std::vector<std::int64_t> ints(const std::filesystem::path& file, const std::string& path) {
  const auto f = h5::open_file(file);
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return h5::read_int64s(h5::open_dataset(f, path));
  return h5::read_int64s(
      h5::open_dataset(h5::open_group(f, path.substr(0, slash)), path.substr(slash + 1)));
}

const char* const kSmallCampaign = R"(
[dataset]
name = "mnist"
limit = 300
[memory]
rows = 2048
[[fault_model]]
name = "uniform_ber"
[sweep]
ber = [3e-6, 1e-5]
[campaign]
dtypes = ["fp32", "q1.6"]
trials = 4
seed = 7
batch = 300
output = "unused.h5"
)";

// The stored fp32 image of `net` in a 2048-row memory, and the fault map the fault_list
// model draws from `csv` over it.
struct FaultListDraw {
  wf::memory::AddressMapping mapping;
  wf::storage::StoredImage image;
  wf::memory::FaultMap map;
};
FaultListDraw draw_fault_list(const wf::nn::Network& net, const std::filesystem::path& csv) {
  wf::memory::Geometry geometry;
  geometry.rows = 2048;
  wf::memory::AddressMapping mapping(geometry, "RoBaRaCoCh");
  auto image = wf::sim::store_network(net, wf::storage::ProtectionSpec{},
                                      {wf::storage::dtype_named("fp32"), {}, false},
                                      wf::memory::PlacementPolicy::packed, mapping);
  wf::ParamValues params;
  params.set("file", csv.string());
  const auto model = builtin_registry().find("fault_list")->create(params);
  wf::memory::FaultMap map;
  wf::memory::Rng rng(1);
  model->generate({mapping, image.placement().extent_bits(), 0.0, 0.0, 0}, rng, map);
  return {std::move(mapping), std::move(image), std::move(map)};
}

}  // namespace

// Runs `sc` into dir/one.h5 with one trial worker and into dir/two.h5 with two.
static void run_with_1_and_2_threads(wf::sim::Scenario sc, const std::filesystem::path& dir) {
  wf::sim::CampaignOptions options;
  options.data_root = wf::test::data_root().string();
  for (const int threads : {1, 2}) {
    sc.output = (dir / (threads == 1 ? "one.h5" : "two.h5")).string();
    options.threads = threads;
    wf::sim::run_campaign(sc, builtin_registry(), options);
  }
}

TEST_CASE("a campaign gives identical results with 1 and 2 threads") {
  const auto dir = wf::test::fresh_dir("campaign_threads");
  auto sc = write_and_load(dir, kSmallCampaign);
  run_with_1_and_2_threads(sc, dir);
  wf::sim::CampaignOptions options;
  options.data_root = wf::test::data_root().string();

  for (const char* dtype : {"fp32", "q1.6"}) {
    const std::string cell = std::string("results/none/") + dtype;
    for (const char* name : {"accuracy"}) {
      CHECK(doubles(dir / "one.h5", cell + "/" + name) ==
            doubles(dir / "two.h5", cell + "/" + name));
    }
    for (const char* name : {"correct", "faults_active", "bits_changed", "weights_changed",
                             "bit_flips_by_position_per_trial", "bit_flips_by_position"}) {
      INFO(cell, "/", name);
      CHECK(ints(dir / "one.h5", cell + "/" + name) == ints(dir / "two.h5", cell + "/" + name));
    }
  }
  // The run is a real test of determinism: at least 4 trials with faults that change accuracy.
  const auto acc = doubles(dir / "one.h5", "results/none/fp32/accuracy");
  const double reference = doubles(dir / "one.h5", "results/none/fp32/reference_accuracy").at(0);
  CHECK(std::count_if(acc.begin(), acc.end(), [&](double a) { return a != reference; }) >= 4);
  const auto finished = ints(dir / "one.h5", "results/none/fp32/faults_active");
  CHECK(std::all_of(finished.begin(), finished.end(), [](std::int64_t n) { return n > 0; }));

  SUBCASE("--only-trial reruns one trial exactly") {
    sc.output = (dir / "only.h5").string();
    options.only_trial = 2;
    wf::sim::run_campaign(sc, builtin_registry(), options);
    const auto only = doubles(dir / "only.h5", "results/none/fp32/accuracy");
    for (std::size_t p = 0; p < 2; ++p) {
      for (std::size_t k = 0; k < 4; ++k) {
        if (k == 2)
          CHECK(only[p * 4 + k] == acc[p * 4 + k]);
        else
          CHECK(std::isnan(only[p * 4 + k]));
      }
    }
  }
}

TEST_CASE(
    "a replayed bit-30 flip of a dense weight gives exactly the reference layers' predictions") {
  const auto dir = wf::test::fresh_dir("campaign_fault_list");
  const auto net = wf::nn::load_model(wf::test::mnist_cnn_path());
  const auto data = wf::nn::load_dataset(wf::test::data_root(), "mnist", "test", 40);
  // The dense_1 weight with the largest magnitude: its bit-30 flip multiplies it by 2^128.
  const auto dense = net.index_of("dense_1");
  const auto& kernel = net.layer(dense).params.at("kernel").values;
  const auto element = static_cast<std::size_t>(
      std::max_element(kernel.begin(), kernel.end(),
                       [](float a, float b) { return std::abs(a) < std::abs(b); }) -
      kernel.begin());
  std::ofstream(dir / "faults.csv")
      << "tensor,element,bit,kind\ndense_1/kernel," << element << ",30,flip\n";

  // Through the simulator: stored image, fault map from fault_list, decode, oneDNN.
  const auto draw = draw_fault_list(net, dir / "faults.csv");
  const auto& mapping = draw.mapping;
  const auto& image = draw.image;
  const auto& map = draw.map;
  auto bytes = image.golden_bytes();
  map.apply(0.0, mapping, image.placement(), bytes);
  std::size_t kernel_tensor = 0;
  while (image.tensors()[kernel_tensor].name != "dense_1/kernel") ++kernel_tensor;
  std::vector<float> faulted(kernel.size());
  for (std::size_t e = 0; e < kernel.size(); ++e)
    image.decode_group(kernel_tensor, e, bytes, faulted);
  CHECK(std::bit_cast<std::uint32_t>(faulted[element]) ==
        (std::bit_cast<std::uint32_t>(kernel[element]) ^ (1u << 30)));

  wf::nn::InferenceEngine engine(net, {.threads = 1, .batch = 40});
  engine.set_weights(dense, faulted, net.layer(dense).params.at("bias").values);
  std::vector<float> logits;
  engine.infer(data.pixels, data.size(), logits);

  auto corrupted = net;
  corrupted.mutable_layer(dense).params.at("kernel").values = faulted;
  std::vector<float> input(data.pixels.size());
  for (std::size_t i = 0; i < input.size(); ++i)
    input[i] = static_cast<float>(data.pixels[i]) / 255.0f;
  const auto want = wf::reference::logits(corrupted, input, data.size());
  const auto golden = wf::reference::logits(net, input, data.size());

  std::size_t changed = 0;
  for (std::size_t s = 0; s < data.size(); ++s) {
    const std::span<const float> got_row(logits.data() + s * 10, 10);
    const std::span<const float> want_row(want.data() + s * 10, 10);
    const std::span<const float> golden_row(golden.data() + s * 10, 10);
    CHECK(wf::nn::predicted_class(got_row) == wf::nn::predicted_class(want_row));
    if (wf::nn::predicted_class(want_row) != wf::nn::predicted_class(golden_row)) ++changed;
  }
  CHECK(changed >= 1);

  // And the campaign over the same list counts exactly the reference's correct predictions.
  auto sc = write_and_load(
      dir,
      "[dataset]\nname = \"mnist\"\nlimit = 40\n[memory]\nrows = 2048\n"
      "[[fault_model]]\nname = \"fault_list\"\nfile = \"" +
          (dir / "faults.csv").string() +
          "\"\n[campaign]\ndtypes = [\"fp32\"]\ntrials = 1\nbatch = 40\noutput = \"" +
          (dir / "r.h5").string() + "\"\n");
  wf::sim::CampaignOptions options;
  options.data_root = wf::test::data_root().string();
  wf::sim::run_campaign(sc, builtin_registry(), options);
  std::int64_t reference_correct = 0;
  for (std::size_t s = 0; s < data.size(); ++s) {
    if (wf::nn::predicted_class(std::span<const float>(want.data() + s * 10, 10)) == data.labels[s])
      ++reference_correct;
  }
  CHECK(ints(dir / "r.h5", "results/none/fp32/correct").at(0) == reference_correct);
  CHECK(ints(dir / "r.h5", "results/none/fp32/weights_changed").at(2) ==
        1);  // dense_1 is the third weighted layer
}

TEST_CASE(
    "int8_sym with its scale in fault-prone memory: a faulted scale word changes the whole "
    "tensor") {
  const auto dir = wf::test::fresh_dir("campaign_int8_scale");
  std::ofstream(dir / "faults.csv") << "tensor,element,bit\ndense_2/kernel/scale,0,30\n";
  auto sc = write_and_load(dir,
                           "[dataset]\nname = \"mnist\"\nlimit = 50\n[memory]\nrows = 2048\n"
                           "[[fault_model]]\nname = \"fault_list\"\nfile = \"" +
                               (dir / "faults.csv").string() +
                               "\"\n[campaign]\ndtypes = [\"int8_sym\"]\ntrials = 1\nbatch = 50\n"
                               "int8_scale_in_memory = true\noutput = \"" +
                               (dir / "r.h5").string() + "\"\n");
  wf::sim::CampaignOptions options;
  options.data_root = wf::test::data_root().string();
  wf::sim::run_campaign(sc, builtin_registry(), options);
  const auto changed = ints(dir / "r.h5", "results/none/int8_sym/weights_changed");
  REQUIRE(changed.size() == 4);  // conv2d_1, conv2d_2, dense_1, dense_2
  CHECK(changed[0] == 0);
  CHECK(changed[2] == 0);
  CHECK(changed[3] >
        1000);  // every nonzero weight of dense_2's kernel (1280) reads with a scale x 2^128
  CHECK(ints(dir / "r.h5", "results/none/int8_sym/bits_changed").at(0) == 1);
  // Without the scale in memory the same list names no stored tensor: an error, not a silent miss.
  auto outside =
      write_and_load(dir,
                     "[dataset]\nname = \"mnist\"\nlimit = 50\n[memory]\nrows = 2048\n"
                     "[[fault_model]]\nname = \"fault_list\"\nfile = \"" +
                         (dir / "faults.csv").string() +
                         "\"\n[campaign]\ndtypes = [\"int8_sym\"]\ntrials = 1\nbatch = 50\n"
                         "output = \"" +
                         (dir / "r2.h5").string() + "\"\n");
  CHECK_THROWS_WITH_AS(wf::sim::run_campaign(outside, builtin_registry(), options),
                       doctest::Contains("no such tensor"), wf::InputError);
}

TEST_CASE("with a timeline, results are identical with 1 and 2 threads at every checkpoint") {
  const auto dir = wf::test::fresh_dir("campaign_timeline");
  auto sc = write_and_load(dir, R"(
[dataset]
name = "mnist"
limit = 200
[memory]
rows = 2048
[timeline]
checkpoints_s = [3.15e7, 3.15e8, 3.15e9]
rewrite_interval_s = 1e9
[[fault_model]]
name = "seu"
fit_per_mbit = 1000
flux_factor = 300
[campaign]
dtypes = ["fp32"]
trials = 4
batch = 200
output = "unused.h5"
)");
  run_with_1_and_2_threads(sc, dir);
  const auto one = doubles(dir / "one.h5", "results/none/fp32/accuracy");
  CHECK(one == doubles(dir / "two.h5", "results/none/fp32/accuracy"));
  CHECK(ints(dir / "one.h5", "results/none/fp32/faults_active") ==
        ints(dir / "two.h5", "results/none/fp32/faults_active"));
  CHECK(doubles(dir / "one.h5", "time_s") == std::vector<double>{3.15e7, 3.15e8, 3.15e9});
  // Faults accumulate until a rewrite: more records are active at 3.15e8 s than at 3.15e7 s.
  const auto active = ints(dir / "one.h5", "results/none/fp32/faults_active");
  REQUIRE(active.size() == 12);
  std::int64_t first = 0, second = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    first += active[k * 3];
    second += active[k * 3 + 1];
  }
  CHECK(second > first);
}

TEST_CASE(
    "with device physics, an environment and scrubbing, results are identical with 1 and 2 "
    "threads; the fault counts are recorded with their expectation") {
  const auto dir = wf::test::fresh_dir("campaign_physics");
  auto sc = write_and_load(dir, R"(
[dataset]
name = "mnist"
limit = 200
[memory]
rows = 2048
ecc_chips = 2
[timeline]
checkpoints_s = [86400, 3.15e7, 3.15e8]
rewrite_interval_s = 1e8
scrub_interval_s = 3600
[environment]
temperature_c = { linear = [[0, 60], [43200, 95]], repeat_s = 86400 }
flux_factor = { steps = [[0, 1e4], [4800, 1e5]], repeat_s = 5700 }
[[fault_model]]
name = "dram_retention"
polarity_block_rows = 16
[[fault_model]]
name = "seu"
fit_per_mbit = 100
mcu_fraction = 0.3
[campaign]
dtypes = ["fp32"]
protections = ["none", "secded", "ondie_ecc+secded", "chipkill"]
trials = 3
batch = 200
output = "unused.h5"
)");
  // (With ECC devices: secded's check bytes and chipkill's symbols in the ECC lanes.)
  run_with_1_and_2_threads(sc, dir);
  for (const char* prot : {"none", "secded", "ondie_ecc+secded", "chipkill"}) {
    const std::string cell = std::string("results/") + prot + "/fp32/";
    CHECK(doubles(dir / "one.h5", cell + "accuracy") == doubles(dir / "two.h5", cell + "accuracy"));
    for (const char* name : {"bits_changed", "codewords"})
      CHECK(ints(dir / "one.h5", cell + name) == ints(dir / "two.h5", cell + name));
  }
  CHECK(ints(dir / "one.h5", "faults/active") == ints(dir / "two.h5", "faults/active"));
  // Codes meet the faults: chipkill and secded correct codewords.
  for (const char* prot : {"secded", "chipkill"}) {
    const auto codewords = ints(dir / "one.h5", std::string("results/") + prot + "/fp32/codewords");
    std::int64_t corrected = 0;
    for (std::size_t k = 0; k < codewords.size(); k += 3) corrected += codewords[k];
    CHECK(corrected > 0);
  }
  // [P=1][N=3][T=3][M=2][3 kinds]: retention only reads the discharged value; seu only flips.
  const auto active = ints(dir / "one.h5", "faults/active");
  const auto expected = doubles(dir / "one.h5", "faults/expected_active");
  REQUIRE(active.size() == 3 * 3 * 2 * 3);
  REQUIRE(expected.size() == 3 * 2);
  for (std::size_t t = 0; t < 3; ++t) {
    double retention = 0, seu = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      const std::size_t at = ((k * 3 + t) * 2) * 3;
      CHECK(active[at + 0] == 0);  // retention never flips
      retention += static_cast<double>(active[at + 1] + active[at + 2]);
      CHECK(active[at + 3 + 1] + active[at + 3 + 2] == 0);  // seu never sticks
      seu += static_cast<double>(active[at + 3]);
    }
    // Means of 3 Poisson-like counts: within 5 standard errors of the expectation.
    const auto near = [](double mean, double e) {
      return std::abs(mean - e) < 5 * std::sqrt(std::max(e, 1.0) / 3) + 1;
    };
    CHECK(near(retention / 3, expected[t * 2]));
    CHECK(near(seu / 3, expected[t * 2 + 1]));
  }
  CHECK(expected[2 * 2] > 10);  // the retention curve is not a silent zero
  // Scrubbing clears lone flips in the secded image: fewer differing bits than without it.
  const auto scrubbed_bits = ints(dir / "one.h5", "results/secded/fp32/bits_changed");
  sc.scrub_interval_s = 0;
  sc.output = (dir / "noscrub.h5").string();
  wf::sim::CampaignOptions options;
  options.data_root = wf::test::data_root().string();
  wf::sim::run_campaign(sc, builtin_registry(), options);
  const auto plain_bits = ints(dir / "noscrub.h5", "results/secded/fp32/bits_changed");
  CHECK(std::accumulate(scrubbed_bits.begin(), scrubbed_bits.end(), std::int64_t{0}) <
        std::accumulate(plain_bits.begin(), plain_bits.end(), std::int64_t{0}));
}

TEST_CASE(
    "adaptive trial counts stop where the interval is narrow, the same with 1 and 2 threads") {
  // BER 1e-8 changes nothing (every trial equal: stops at min_trials); 2e-6 varies.
  const auto dir = wf::test::fresh_dir("campaign_adaptive");
  std::string body = kSmallCampaign;
  body.replace(body.find("ber = [3e-6, 1e-5]"), 18, "ber = [1e-8, 2e-6]");
  body.replace(body.find("trials = 4"), 10,
               "trials = 12\ntarget_ci_halfwidth = 0.05\nmin_trials = 3");
  auto sc = write_and_load(dir, body);
  REQUIRE(sc.target_ci_halfwidth == 0.05);
  REQUIRE(sc.min_trials == 3);
  run_with_1_and_2_threads(sc, dir);
  const auto run_one = ints(dir / "one.h5", "trials_run");
  CHECK(run_one == ints(dir / "two.h5", "trials_run"));
  for (const char* dtype : {"fp32", "q1.6"}) {
    const std::string cell = std::string("results/none/") + dtype + "/accuracy";
    const auto a = doubles(dir / "one.h5", cell), b = doubles(dir / "two.h5", cell);
    REQUIRE(a.size() == b.size());
    for (std::size_t k = 0; k < a.size(); ++k)
      CHECK(((std::isnan(a[k]) && std::isnan(b[k])) || a[k] == b[k]));
  }
  CHECK(run_one.at(0) == 3);
  // The rule, checked from the kept trials: the first count >= min_trials whose widest
  // half-width (over the dtypes) is <= 0.05, or all 12.
  const auto fp32 = doubles(dir / "one.h5", "results/none/fp32/accuracy");
  const auto q16 = doubles(dir / "one.h5", "results/none/q1.6/accuracy");
  const auto widest = [&](std::size_t p, std::size_t t) {
    double w = 0.0;
    for (const auto* acc : {&fp32, &q16}) {
      const std::vector<double> first(acc->begin() + static_cast<std::ptrdiff_t>(p * 12),
                                      acc->begin() + static_cast<std::ptrdiff_t>(p * 12 + t));
      const auto m = wf::sim::mean_t_interval(first);
      w = std::max(w, (m.high - m.low) / 2.0);
    }
    return w;
  };
  for (std::size_t p = 0; p < 2; ++p) {
    const auto kept = static_cast<std::size_t>(run_one[p]);
    INFO("point ", p, ": ", kept, " trials kept");
    for (std::size_t k = 0; k < 12; ++k) CHECK(std::isnan(fp32[p * 12 + k]) == (k >= kept));
    for (std::size_t t = 3; t < kept; ++t) CHECK(widest(p, t) > 0.05);
    if (kept < 12) CHECK(widest(p, kept) <= 0.05);
  }
  CHECK(h5::read_double_attribute(h5::open_file(dir / "one.h5"), "target_ci_halfwidth") == 0.05);
}

TEST_CASE("min_trials without target_ci_halfwidth is refused") {
  const auto dir = wf::test::fresh_dir("campaign_min_trials");
  std::string body = kSmallCampaign;
  body.replace(body.find("trials = 4"), 10, "trials = 4\nmin_trials = 2");
  CHECK_THROWS_WITH_AS(
      write_and_load(dir, body),
      doctest::Contains("campaign.min_trials: only with campaign.target_ci_halfwidth"),
      wf::InputError);
}

TEST_CASE("validate's checks: what run would refuse is refused before any evaluation") {
  const auto dir = wf::test::fresh_dir("campaign_check");
  const auto data_root = wf::test::data_root().string();
  // A valid scenario passes and says what it found.
  const auto ok = wf::sim::check_campaign(write_and_load(dir, kSmallCampaign), data_root);
  CHECK(ok.model == "mnist_cnn");
  CHECK(ok.images == 300);
  CHECK(ok.stored_bits > 0);
  CHECK(ok.stored_bits <= ok.capacity_bits);
  // A fixed-point override naming a layer the model does not have.
  std::string body = kSmallCampaign;
  body += "fixed_point_overrides = { conv9 = \"q3.4\" }\n";
  CHECK_THROWS_WITH_AS(wf::sim::check_campaign(write_and_load(dir, body), data_root),
                       doctest::Contains("fixed_point_overrides: 'conv9' is not a layer with "
                                         "stored weights of model 'mnist_cnn'"),
                       wf::InputError);
  // A limit above the split's size.
  body = kSmallCampaign;
  body.replace(body.find("limit = 300"), 11, "limit = 20000");
  CHECK_THROWS_WITH_AS(wf::sim::check_campaign(write_and_load(dir, body), data_root),
                       doctest::Contains("dataset.limit = 20000, but mnist/test has 10000 images"),
                       wf::InputError);
  // A memory too small for the model (2 rows).
  body = kSmallCampaign;
  body.replace(body.find("rows = 2048"), 11, "rows = 2");
  CHECK_THROWS_AS(wf::sim::check_campaign(write_and_load(dir, body), data_root), wf::InputError);
  // save_faultmaps naming a trial the scenario does not have.
  body = kSmallCampaign + std::string("save_faultmaps = [7]\n");
  CHECK_THROWS_WITH_AS(write_and_load(dir, body),
                       doctest::Contains("campaign.save_faultmaps: expected trial numbers 0..3"),
                       wf::InputError);
}

TEST_CASE("a fault-list CSV with a UTF-8 byte-order mark reads like one without") {
  const auto dir = wf::test::fresh_dir("fault_list_bom");
  const auto net = wf::nn::load_model(wf::test::mnist_cnn_path());
  std::vector<std::size_t> faults;
  for (const auto& bom : {std::string(), std::string("\xEF\xBB\xBF")}) {
    std::ofstream(dir / "faults.csv") << bom << "tensor,element,bit\ndense_1/kernel,7,30\n";
    const auto draw = draw_fault_list(net, dir / "faults.csv");
    faults.push_back(draw.map.bit_faults().size() + draw.map.logical_faults().size());
  }
  CHECK(faults[0] == 1);
  CHECK(faults[1] == faults[0]);
}

TEST_CASE("report refuses an edited or reshaped accuracy dataset with a clear error") {
  const auto dir = wf::test::fresh_dir("report_checks");
  auto sc = write_and_load(dir, kSmallCampaign);
  sc.trials = 2;
  sc.output = (dir / "r.h5").string();
  wf::sim::CampaignOptions options;
  options.data_root = wf::test::data_root().string();
  wf::sim::run_campaign(sc, builtin_registry(), options);
  CHECK_NOTHROW(wf::sim::report_results(dir / "r.h5", "table"));
  {
    const auto f = h5::open_file_rw(dir / "r.h5");
    const auto acc = h5::open_dataset(
        h5::open_group(h5::open_group(h5::open_group(f, "results"), "none"), "fp32"), "accuracy");
    const double edited = 7.5;
    h5::write_block(acc, H5T_NATIVE_DOUBLE, {0, 1, 0}, {1, 1, 1}, &edited);
  }
  CHECK_THROWS_WITH_AS(wf::sim::report_results(dir / "r.h5", "table"),
                       doctest::Contains("value 7.5 at index 1 is not an accuracy in [0, 1]"),
                       wf::InputError);
  {
    const auto f = h5::open_file_rw(dir / "r.h5");
    const auto cell = h5::open_group(h5::open_group(h5::open_group(f, "results"), "none"), "fp32");
    H5Ldelete(cell.id(), "accuracy", H5P_DEFAULT);
    const double nan = std::nan("");
    h5::create_dataset(cell, "accuracy", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {3}, &nan);
  }
  CHECK_THROWS_WITH_AS(wf::sim::report_results(dir / "r.h5", "table"),
                       doctest::Contains("has shape [3], expected [2, trials, 1]"), wf::InputError);
}

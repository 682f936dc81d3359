// Questions: does incremental evaluation from the dense tail (nn/dense_tail.h) predict
// what a full evaluation predicts? Per sample, on trials whose changed weights were made
// by bit flips in the tail's stored words of several dtypes, with and without a clamp on
// what is read; and through the whole campaign (ResultsWriter counts) against --full-eval.
// The tail adds float deltas in double to recorded float activations, so a prediction may
// differ only where the full evaluation's own float rounding is as large as the gap of
// its top two logits (measured against the same layers computed in double): the tests
// count those near-ties and print how many there were.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <fstream>
#include <map>

#include "common/binary16.h"
#include "common/hdf5_file.h"
#include "common/split_mix.h"
#include "nn/dataset.h"
#include "nn/dense_tail.h"
#include "nn/evaluation.h"
#include "nn/inference_engine.h"
#include "nn/metrics.h"
#include "nn/model_file.h"
#include "sim/campaign.h"
#include "sim/scenario.h"
#include "tests/fixtures.h"
#include "tests/reference_layers.h"

namespace wf = weightfault;

namespace {

// Gap of the two largest logits.
double top2_gap(std::span<const float> row) {
  std::vector<float> sorted(row.begin(), row.end());
  std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<>());
  return static_cast<double>(sorted[0]) - static_cast<double>(sorted[1]);
}

// The plain-loop reference's logits of sample n with the trial's weights (fp64 sums):
// what the logits are without float rounding, to tell a near-tie from an error.
std::vector<float> reference_logits(
    const wf::nn::Network& net, const wf::nn::Dataset& data, std::size_t n,
    const std::map<std::pair<std::size_t, bool>, std::vector<float>>& weights) {
  auto trial = net;
  for (const auto& [key, values] : weights)
    trial.mutable_layer(key.first).params.at(key.second ? "bias" : "kernel").values = values;
  const std::size_t size = data.image_size();
  std::vector<float> input(size);
  for (std::size_t k = 0; k < size; ++k)
    input[k] = net.normalization.apply(static_cast<float>(data.pixels[n * size + k]), k, size);
  return wf::reference::logits(trial, input, 1);
}

// A word of `dtype` holding w, one bit flipped, read back as float. `scale`: int8_sym's.
float flip(const std::string& dtype, float w, int bit, float scale) {
  if (dtype == "fp32") return std::bit_cast<float>(std::bit_cast<std::uint32_t>(w) ^ (1u << bit));
  if (dtype == "fp16")
    return wf::fp16_to_float(static_cast<std::uint16_t>(wf::float_to_fp16(w) ^ (1u << (bit % 16))));
  const auto q = static_cast<std::int8_t>(std::lround(w / scale));
  return static_cast<float>(static_cast<std::int8_t>(q ^ (1 << (bit % 8)))) * scale;
}

float as_stored(const std::string& dtype, float w, float scale) {
  if (dtype == "fp32") return w;
  if (dtype == "fp16") return wf::fp16_to_float(wf::float_to_fp16(w));
  return static_cast<float>(std::lround(w / scale)) * scale;
}

}  // namespace

TEST_CASE("the dense tail predicts what a full evaluation predicts, sample by sample") {
  const auto net = wf::nn::load_model(wf::test::data_root() / "models" / "lenet5_mnist.h5");
  const auto data = wf::nn::load_dataset(wf::test::data_root(), "mnist", "test", 1000);
  wf::nn::InferenceEngine engine(net, {.threads = 1, .batch = 250});
  auto tail = wf::nn::DenseTail::plan(engine);
  REQUIRE_FALSE(tail.empty());
  std::vector<std::size_t> dense;
  for (std::size_t l = 0; l < net.size(); ++l)
    if (net.layer(l).op == "dense") dense.push_back(l);
  REQUIRE(dense.size() == 3);
  for (const auto l : dense) CHECK(tail.covers(l));
  // conv2 -> relu -> max_pool -> flatten feeds the tail: its channels are recomputed.
  const std::size_t conv2 = net.index_of("conv2");
  CHECK(tail.covers(conv2));
  std::vector<std::size_t> faulty = dense;  // where the flips land
  faulty.push_back(conv2);
  CHECK_FALSE(tail.covers(net.index_of("conv1")));

  std::size_t trials = 0, near_ties = 0, declined = 0, changed_predictions = 0, conv_trials = 0;
  std::size_t declined_recomputing = 0, evaluated_deltas = 0, evaluated_recomputing = 0;
  wf::SplitMix64 rng(2026);
  for (const std::string dtype : {"fp32", "fp16", "int8_sym"}) {
    // The golden weights as the dtype stores them, in the engine and the recorded tail.
    std::map<std::pair<std::size_t, bool>, std::vector<float>> golden;
    std::map<std::pair<std::size_t, bool>, float> scale;
    // (the per-sample loop below records which trials reach the convolution head)
    for (std::size_t l = 0; l < net.size(); ++l) {
      if (!net.layer(l).has_weights()) continue;
      for (const bool bias : {false, true}) {
        auto values = net.layer(l).params.at(bias ? "bias" : "kernel").values;
        float max = 0.0f;
        for (const float v : values) max = std::max(max, std::abs(v));
        const float s = max > 0.0f ? max / 127.0f : 1.0f;
        for (auto& v : values) v = as_stored(dtype, v, s);
        engine.set_param(l, bias ? "bias" : "kernel", values);
        golden[{l, bias}] = std::move(values);
        scale[{l, bias}] = s;
      }
    }
    // Two tails: the head's changed channels by deltas from its recorded output, and
    // recomputed by a few-channel convolution (what a tight activation budget leaves).
    REQUIRE(tail.head_deltas());
    wf::nn::record_resume_cache(engine, data, {}, 0, &tail);
    auto recomputing = tail;
    recomputing.set_head_deltas(false);
    wf::nn::record_resume_cache(engine, data, {}, 0, &recomputing);
    auto scratch = recomputing.make_scratch(1);
    auto threaded = tail.make_scratch(2);  // deltas split the samples in two
    for (const bool clamp : {false, true}) {
      for (const int flips : {1, 3, 10, 60, 400}) {  // ~5e-7 .. 2e-4 of the tail's bits
        for (int repeat = 0; repeat < 8; ++repeat, ++trials) {
          auto current = golden;
          std::vector<wf::nn::DenseTail::WeightChange> changes;
          for (int f = 0; f < flips; ++f) {
            // A conv2 weight in one flip of ten (it holds 2,416 of the 61,706 weights).
            const std::size_t l = rng.below(10) == 0 ? conv2 : dense[rng.below(dense.size())];
            const bool bias = rng.below(20) == 0;
            auto& values = current[{l, bias}];
            const std::size_t e = rng.below(values.size());
            float now = flip(dtype, values[e], static_cast<int>(rng.below(32)), scale[{l, bias}]);
            if (clamp) {  // the clamp protection: a read never exceeds the tensor's range
              const float limit = scale[{l, bias}] * 127.0f;
              if (std::isnan(now)) now = 0.0f;
              now = std::clamp(now, -limit, limit);
            }
            values[e] = now;
          }
          for (const auto& [key, values] : current)
            for (std::size_t e = 0; e < values.size(); ++e)
              if (std::bit_cast<std::uint32_t>(values[e]) !=
                  std::bit_cast<std::uint32_t>(golden[key][e]))
                changes.push_back({key.first, key.second, e, golden[key][e], values[e]});

          // The full evaluation, per sample.
          for (const auto l : faulty) {
            engine.set_param(l, "kernel", current[{l, false}]);
            engine.set_param(l, "bias", current[{l, true}]);
          }
          std::vector<int> full(data.size());
          std::vector<float> full_logits;
          std::vector<float> logits;
          for (std::size_t first = 0; first < data.size(); first += engine.batch_size()) {
            const std::size_t count = std::min(engine.batch_size(), data.size() - first);
            wf::nn::load_batch(engine, data, first, count);
            engine.run_from(0);
            engine.read_logits(count, logits);
            full_logits.insert(full_logits.end(), logits.begin(), logits.end());
            for (std::size_t n = 0; n < count; ++n)
              full[first + n] =
                  wf::nn::predicted_class(std::span<const float>(logits).subspan(n * 10, 10));
          }
          for (const auto l : faulty) {
            engine.set_param(l, "kernel", golden[{l, false}]);
            engine.set_param(l, "bias", golden[{l, true}]);
          }

          std::size_t full_correct = 0;
          for (std::size_t n = 0; n < data.size(); ++n)
            full_correct += full[n] == static_cast<int>(data.labels[n]) ? 1 : 0;
          bool evaluated = false;
          for (const auto* way : {&tail, &recomputing}) {
            std::vector<int> incremental;
            const auto correct = way->correct_with(
                changes,
                [&](std::size_t l, bool bias) -> std::span<const float> {
                  return current.at({l, bias});
                },
                data.labels, &incremental, way == &tail ? &threaded : &scratch);
            if (!correct) {  // declined: the campaign restarts at the first changed layer
              ++(way == &tail ? declined : declined_recomputing);
              continue;
            }
            evaluated = true;
            ++(way == &tail ? evaluated_deltas : evaluated_recomputing);
            std::size_t counted = 0;
            for (std::size_t n = 0; n < data.size(); ++n) {
              counted += incremental[n] == static_cast<int>(data.labels[n]) ? 1 : 0;
              if (full[n] == incremental[n]) continue;
              // The full evaluation's own rounding error on this sample's logits.
              const auto row = std::span<const float>(full_logits).subspan(n * 10, 10);
              const auto exact = reference_logits(net, data, n, current);
              double error = 0.0;
              for (std::size_t c = 0; c < 10; ++c)
                error = std::max(
                    error, std::abs(static_cast<double>(row[c]) - static_cast<double>(exact[c])));
              const double gap = top2_gap(row);
              INFO(dtype, " clamp ", clamp, " flips ", flips, " sample ", n, " gap ", gap,
                   " rounding error of the full evaluation ", error,
                   way == &tail ? " (head deltas)" : " (head recomputed)");
              CHECK(gap <= 2.0 * error + 1e-5);
              ++near_ties;
            }
            CHECK(counted == *correct);  // the count is the predictions' count
          }
          if (!evaluated) continue;
          changed_predictions += full_correct != tail.correct_with({}, {}, data.labels) ? 1 : 0;
          conv_trials += std::any_of(changes.begin(), changes.end(),
                                     [&](const auto& c) { return c.layer == conv2; })
                             ? 1
                             : 0;
        }
      }
    }
  }
  MESSAGE(trials,
          " trials x 1000 samples, each evaluated incrementally two ways (conv2's "
          "changed channels by deltas / recomputed): ",
          evaluated_deltas, " / ", evaluated_recomputing, " evaluated, ", declined, " / ",
          declined_recomputing,
          " declined (a non-finite value, or a change too large to pay: the campaign restarts "
          "those); ",
          near_ties,
          " predictions differed (each where the full evaluation's own rounding error reaches "
          "the gap of its top two logits), ",
          changed_predictions, " trials changed the accuracy, ", conv_trials,
          " evaluated trials changed conv2 weights");
  CHECK(trials == 240);
  CHECK(declined < trials / 2);  // the tail takes most trials
  CHECK(declined_recomputing < trials / 2);
  CHECK(evaluated_deltas >= evaluated_recomputing);  // deltas take every channel count
  CHECK(changed_predictions > 10);                   // and they are not all harmless
  CHECK(conv_trials > 10);                           // the convolution head is exercised
}

TEST_CASE("a campaign evaluated incrementally counts what --full-eval counts") {
  const auto dir = wf::test::fresh_dir("dense_tail_campaign");
  const auto path = dir / "scenario.toml";
  std::ofstream(path) << "[model]\nfile = \""
                      << (wf::test::data_root() / "models" / "lenet5_mnist.h5").string() << R"("
[dataset]
name = "mnist"
limit = 1000
[memory]
rows = 2048
[[fault_model]]
name = "uniform_ber"
[sweep]
ber = [1e-7, 1e-6, 1e-5, 1e-4, 1e-3]
[campaign]
dtypes = ["fp32", "fp16", "int8_sym"]
protections = ["none", "clamp"]
trials = 14
seed = 11
batch = 500
output = "unused.h5"
)";
  auto sc = wf::sim::load_scenario(path, wf::test::builtin_registry());
  wf::sim::CampaignOptions options;
  options.data_root = wf::test::data_root().string();
  options.threads = 2;
  sc.output = (dir / "incremental.h5").string();
  wf::sim::run_campaign(sc, wf::test::builtin_registry(), options);
  options.full_eval = true;
  sc.output = (dir / "full.h5").string();
  wf::sim::run_campaign(sc, wf::test::builtin_registry(), options);
  std::size_t compared = 0, differing = 0;
  std::int64_t widest = 0;
  for (const std::string prot : {"none", "clamp"}) {
    for (const std::string dtype : {"fp32", "fp16", "int8_sym"}) {
      const auto read = [&](const std::string& file) {
        const auto f = wf::h5::open_file(dir / file);
        return wf::h5::read_int64s(wf::h5::open_dataset(
            wf::h5::open_group(wf::h5::open_group(wf::h5::open_group(f, "results"), prot), dtype),
            "correct"));
      };
      const auto a = read("incremental.h5"), b = read("full.h5");
      REQUIRE(a.size() == b.size());
      for (std::size_t k = 0; k < a.size(); ++k, ++compared) {
        differing += a[k] != b[k] ? 1 : 0;
        widest = std::max(widest, std::abs(a[k] - b[k]));
      }
    }
  }
  MESSAGE(compared, " (trial, protection, dtype) counts of 1000 samples compared: ", differing,
          " differ, by at most ", widest, " sample(s)");
  CHECK(compared == 5 * 14 * 6);
  CHECK(widest <= 1);  // a near-tie, at most
  CHECK(differing <= compared / 50);
}

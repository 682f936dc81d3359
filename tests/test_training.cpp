// Question: are the training engine's gradients right? Every layer's backward
// is checked against central finite differences of the mean cross-entropy,
// on tiny networks where that layer sits between a conv (whose parameters are
// checked, so the gradient must flow through the layer) and the loss.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "common/split_mix.h"

#include "nn/model_definition.h"
#include "nn/model_file.h"
#include "nn/network.h"
#include "nn/trainer.h"
#include "nn/training_engine.h"
#include "tests/fixtures.h"

namespace wf = weightfault;

namespace {

constexpr std::size_t kBatch = 4;

// input 1x6x6 -> conv 3x3 (2 ch) -> [middle layers] -> ... -> dense 3 -> softmax.
wf::nn::Network tiny(const std::string& kind, std::uint64_t seed) {
  wf::SplitMix64 rng(seed);
  wf::nn::Network net;
  net.add_layer(wf::test::make_input({1, 6, 6}));
  net.add_layer(wf::test::make_conv("conv", "input", 1, 2, 3, 1, {1, 1, 1, 1}, rng));
  std::string last = "conv";
  std::int64_t flat = 2 * 6 * 6;
  const auto add = [&](wf::nn::Layer layer) {
    last = layer.name;
    net.add_layer(std::move(layer));
  };
  if (kind == "relu+max_pool") {
    add(wf::test::make_layer("act", "relu", {last}));
    auto pool = wf::test::make_layer("pool", "max_pool", {last});
    pool.kernel = {2, 2};
    pool.stride = {2, 2};
    add(pool);
    flat = 2 * 3 * 3;
  } else if (kind == "tanh+avg_pool") {
    add(wf::test::make_layer("act", "tanh", {last}));
    auto pool = wf::test::make_layer("pool", "avg_pool", {last});
    pool.kernel = {2, 2};
    pool.stride = {2, 2};
    add(pool);
    flat = 2 * 3 * 3;
  } else if (kind == "clipped_relu+global_avg_pool") {
    auto act = wf::test::make_layer("act", "clipped_relu", {last});
    act.clip_max = 0.4f;
    add(act);
    add(wf::test::make_layer("pool", "global_avg_pool", {last}));
    flat = 2;
  } else if (kind == "batch_norm") {
    add(wf::test::make_batch_norm("bn", last, 2, rng));
  } else if (kind == "add (residual)") {
    add(wf::test::make_conv("conv2", "conv", 2, 2, 3, 1, {1, 1, 1, 1}, rng));
    add(wf::test::make_layer("sum", "add", {"conv", "conv2"}));
    add(wf::test::make_layer("act", "relu", {last}));
  } else if (kind == "dense+dense") {
    add(wf::test::make_layer("flat0", "flatten", {last}));
    add(wf::test::make_dense("hidden", last, flat, 5, rng));
    add(wf::test::make_layer("act", "tanh", {last}));
    flat = 5;
  }
  if (flat == 2 * 6 * 6 || (kind != "dense+dense" && kind != "clipped_relu+global_avg_pool"))
    add(wf::test::make_layer("flat", "flatten", {last}));
  add(wf::test::make_dense("out", last, flat, 3, rng));
  add(wf::test::make_layer("prob", "softmax", {last}));
  net.finalize();
  return net;
}

struct GradientCheck {
  double relative_error = 0;         // ||analytic - numeric|| / ||numeric||
  double relative_error_scaled = 0;  // the same with the analytic gradient scaled by 1.05
  std::size_t checked = 0;
};

GradientCheck check(const wf::nn::Network& net, std::uint64_t seed) {
  wf::nn::TrainingEngine engine(net, kBatch, 1);
  wf::SplitMix64 rng(seed);
  const auto inputs = wf::test::random_values(kBatch * 36, rng, 1.0f);
  const std::vector<std::int32_t> labels{0, 2, 1, 2};
  engine.forward(inputs);
  engine.backward(labels);
  double diff2 = 0, scaled2 = 0, num2 = 0;
  GradientCheck out;
  for (auto& t : engine.trainables()) {
    const std::vector<float> analytic(t.gradient.begin(), t.gradient.end());
    for (std::size_t k = 0; k < t.values.size(); ++k) {
      const float saved = t.values[k];
      const float eps = 1e-3f;
      t.values[k] = saved + eps;
      engine.forward(inputs);
      const double up = engine.loss(labels);
      t.values[k] = saved - eps;
      engine.forward(inputs);
      const double down = engine.loss(labels);
      t.values[k] = saved;
      const double numeric = (up - down) / (2.0 * eps);
      diff2 += (analytic[k] - numeric) * (analytic[k] - numeric);
      scaled2 += (1.05 * analytic[k] - numeric) * (1.05 * analytic[k] - numeric);
      num2 += numeric * numeric;
      ++out.checked;
    }
  }
  out.relative_error = std::sqrt(diff2 / num2);
  out.relative_error_scaled = std::sqrt(scaled2 / num2);
  return out;
}

}  // namespace

TEST_CASE("training gradients match central finite differences for every layer's backward") {
  for (const std::string kind :
       {"plain", "relu+max_pool", "tanh+avg_pool", "clipped_relu+global_avg_pool", "batch_norm",
        "add (residual)", "dense+dense"}) {
    CAPTURE(kind);
    const auto result = check(tiny(kind, 11), 12);
    CHECK(result.checked > 20);
    // float32 differences with eps 1e-3: ~1e-3 relative agreement expected; 1 % accepted.
    CHECK(result.relative_error < 1e-2);
    CHECK(result.relative_error_scaled > 1e-2);  // negative control: a 5 % wrong gradient fails
  }
}

TEST_CASE("a weight transform's gradient flows through f: d loss / d raw = d loss / d f * f'") {
  const auto net = tiny("relu+max_pool", 21);
  wf::nn::TrainingEngine engine(net, kBatch, 1);
  const wf::WeightTransform tanh_saf{[](float w) { return std::tanh(w); },
                                     [](float w) {
                                       const float t = std::tanh(w);
                                       return 1.0f - t * t;
                                     }};
  for (const std::size_t layer : {net.index_of("conv"), net.index_of("out")})
    engine.set_transform(layer, &tanh_saf);
  wf::SplitMix64 rng(22);
  const auto inputs = wf::test::random_values(kBatch * 36, rng, 1.0f);
  const std::vector<std::int32_t> labels{1, 0, 2, 1};
  engine.forward(inputs);
  engine.backward(labels);
  double diff2 = 0, num2 = 0;
  for (auto& t : engine.trainables()) {
    const std::vector<float> analytic(t.gradient.begin(), t.gradient.end());
    for (std::size_t k = 0; k < t.values.size(); k += 3) {
      const float saved = t.values[k];
      t.values[k] = saved + 1e-3f;
      engine.forward(inputs);
      const double up = engine.loss(labels);
      t.values[k] = saved - 1e-3f;
      engine.forward(inputs);
      const double down = engine.loss(labels);
      t.values[k] = saved;
      const double numeric = (up - down) / 2e-3;
      diff2 += (analytic[k] - numeric) * (analytic[k] - numeric);
      num2 += numeric * numeric;
    }
  }
  CHECK(std::sqrt(diff2 / num2) < 1e-2);
}

TEST_CASE(
    "training is deterministic for a seed; the record and checkpoint land in the model file") {
  const auto dir = wf::test::fresh_dir("training_determinism");
  const auto definition = wf::test::data_root() / ".." / "model_definitions" / "lenet5_mnist.toml";
  std::vector<std::vector<float>> kernels;
  for (const char* name : {"a.h5", "b.h5"}) {
    auto def = wf::nn::load_model_definition(definition);
    def.settings.epochs = 1;
    def.settings.threads = 1;
    wf::nn::TrainOptions options;
    options.output = dir / name;
    options.data_root = wf::test::data_root();
    options.limit = 640;
    options.command = "test";
    const auto report = wf::nn::train_model(def, options);
    CHECK(report.loss.size() == 1);
    CHECK(report.test_accuracy > 0.5);  // 10 batches of MNIST already beat chance by far
    const auto saved = wf::nn::load_model(dir / name);
    kernels.push_back(saved.layer(saved.index_of("conv1")).params.at("kernel").values);
    const auto record = nlohmann::json::parse(saved.training);
    CHECK(record.at("seed") == 1);
    CHECK(record.at("command") == "test");
    CHECK(record.at("epochs_done") == 1);
  }
  CHECK(kernels[0] == kernels[1]);
  auto other = wf::nn::load_model_definition(definition, 2);
  CHECK(other.network.layer(other.network.index_of("conv1")).params.at("kernel").values !=
        wf::nn::load_model_definition(definition)
            .network.layer(other.network.index_of("conv1"))
            .params.at("kernel")
            .values);
}

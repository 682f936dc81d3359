// Questions: does replacing a layer's weights change the result and does
// restoring them give back the exact fault-free scores? Does a flipped
// exponent bit reach the output as the value hardware would read?
#include <doctest/doctest.h>

#include <bit>
#include <cmath>

#include "common/input_error.h"
#include "nn/evaluation.h"
#include "nn/inference_engine.h"
#include "tests/fixtures.h"
#include "tests/reference_layers.h"

namespace wf = weightfault;

TEST_CASE("set_weights changes the scores, restore_weights gives back the same bits") {
  const auto net = wf::test::tiny_mnist_network(31);
  wf::SplitMix64 rng(32);
  const auto input = wf::test::random_values(4 * 784, rng);
  wf::nn::InferenceEngine engine(net, {.threads = 1, .batch = 4});
  std::vector<float> golden, changed, restored;
  engine.infer_normalized(input, 4, golden);

  const auto dense = net.index_of("dense");
  auto kernel = net.layer(dense).params.at("kernel").values;
  const auto& bias = net.layer(dense).params.at("bias").values;
  kernel[5] =
      std::bit_cast<float>(std::bit_cast<std::uint32_t>(kernel[5]) ^ (1u << 30));  // exponent MSB
  engine.set_weights(dense, kernel, bias);
  engine.infer_normalized(input, 4, changed);
  CHECK(changed != golden);

  // The engine computes what the reference computes with the same corrupted weight.
  auto corrupted = net;
  corrupted.mutable_layer(dense).params.at("kernel").values = kernel;
  const auto want = wf::reference::logits(corrupted, input, 4);
  for (std::size_t k = 0; k < want.size(); ++k) {
    CHECK(changed[k] == doctest::Approx(want[k]).epsilon(1e-4));
  }
  // The golden network itself was never touched.
  CHECK(net.layer(dense).params.at("kernel").values[5] != kernel[5]);

  engine.restore_weights(dense);
  engine.infer_normalized(input, 4, restored);
  CHECK(restored == golden);
}

TEST_CASE("set_weights rejects wrong sizes and layers without weights") {
  const auto net = wf::test::tiny_mnist_network(33);
  wf::nn::InferenceEngine engine(net, {.threads = 1, .batch = 2});
  const std::vector<float> few(3);
  CHECK_THROWS_AS(engine.set_weights(net.index_of("dense"), few, few), wf::InputError);
  CHECK_THROWS_AS(engine.set_weights(net.index_of("relu"), few, few), wf::InputError);
}

TEST_CASE("results do not depend on the engine's batch size beyond rounding") {
  const auto net = wf::test::tiny_mnist_network(34);
  wf::SplitMix64 rng(35);
  const auto input = wf::test::random_values(6 * 784, rng);
  std::vector<float> a, b;
  wf::nn::InferenceEngine small(net, {.threads = 1, .batch = 6});
  wf::nn::InferenceEngine large(net, {.threads = 2, .batch = 64});
  small.infer_normalized(input, 6, a);
  large.infer_normalized(input, 6, b);
  REQUIRE(a.size() == b.size());
  for (std::size_t k = 0; k < a.size(); ++k) CHECK(a[k] == doctest::Approx(b[k]).epsilon(1e-5));
}

TEST_CASE("evaluating from a cached layer boundary is bit-identical to a full evaluation") {
  // A residual network, so a boundary can hold more than one activation.
  wf::SplitMix64 rng(40);
  wf::nn::Network net;
  net.add_layer(wf::test::make_input({1, 28, 28}));
  net.add_layer(wf::test::make_conv("stem", "input", 1, 4, 3, 2, {1, 1, 1, 1}, rng));
  net.add_layer(wf::test::make_layer("stem_relu", "relu", {"stem"}));
  net.add_layer(wf::test::make_conv("conv_a", "stem_relu", 4, 4, 3, 1, {1, 1, 1, 1}, rng));
  net.add_layer(wf::test::make_layer("add", "add", {"conv_a", "stem_relu"}));
  net.add_layer(wf::test::make_layer("flatten", "flatten", {"add"}));
  net.add_layer(wf::test::make_dense("fc1", "flatten", 4 * 14 * 14, 32, rng));
  net.add_layer(wf::test::make_layer("fc1_relu", "relu", {"fc1"}));
  net.add_layer(wf::test::make_dense("fc2", "fc1_relu", 32, 10, rng));
  net.finalize();
  wf::nn::Dataset data;
  data.name = "random";
  data.height = data.width = 28;
  for (int i = 0; i < 37; ++i) {  // 37 images in batches of 8: the last batch is partial
    for (int p = 0; p < 784; ++p) data.pixels.push_back(static_cast<std::uint8_t>(rng.next()));
    data.labels.push_back(static_cast<std::uint8_t>(rng.below(10)));
  }
  wf::nn::InferenceEngine engine(net, {.threads = 1, .batch = 8});
  const std::vector<std::size_t> weighted{net.index_of("stem"), net.index_of("conv_a"),
                                          net.index_of("fc1"), net.index_of("fc2")};
  const auto cache = wf::nn::record_resume_cache(engine, data, weighted, std::size_t{1} << 30);
  CHECK(cache.stages.size() ==
        4);  // every weighted layer (the stem restarts from the normalized input)
  CHECK(cache.metrics.correct == wf::nn::evaluate(engine, data).correct);
  for (const auto layer : weighted) {
    INFO("first changed layer ", net.layer(layer).name);
    for (const auto changed : weighted) {
      if (engine.stage_of(changed) < engine.stage_of(layer)) continue;
      auto kernel = net.layer(changed).params.at("kernel").values;
      for (auto& w : kernel) w = -w;  // a large change, so predictions move
      engine.set_weights(changed, kernel, net.layer(changed).params.at("bias").values);
    }
    const auto full = wf::nn::evaluate(engine, data);
    const auto resumed = wf::nn::evaluate_from(engine, data, cache, layer);
    CHECK(resumed.correct == full.correct);
    CHECK(resumed.loss_sum == full.loss_sum);  // same logits bit for bit
    CHECK(resumed.class_correct == full.class_correct);
    for (const auto w : weighted) engine.restore_weights(w);
  }
  // A budget that holds only the smallest boundary keeps the last stage only.
  const auto small = wf::nn::record_resume_cache(
      engine, data, weighted, engine.boundary_bytes(engine.stage_of(weighted[3])) * 5);
  CHECK(small.stages == std::vector<std::size_t>{engine.stage_of(weighted[3])});
}

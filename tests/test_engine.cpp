// Questions: does replacing a layer's weights change the result and does
// restoring them give back the exact fault-free scores? Does a flipped
// exponent bit reach the output as the value hardware would read?
#include <doctest/doctest.h>

#include <bit>
#include <cmath>

#include "common/input_error.h"
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

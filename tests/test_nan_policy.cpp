// Questions: which oneDNN kernels turn a NaN into a number (and does each op say so)?
// Under inference.nan_policy = propagate, does a NaN or Inf weight in a conv or dense
// layer give the NaN logits IEEE arithmetic (the plain-loop references, PyTorch) gives,
// and under flush_relu a prediction as max-based ReLU hardware? (docs/inference.md)
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "nn/inference_engine.h"
#include "nn/op.h"
#include "tests/fixtures.h"
#include "tests/reference_layers.h"

namespace wf = weightfault;
using wf::test::make_layer;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> run(const wf::nn::Network& net, const std::vector<float>& input,
                       std::size_t batch, wf::nn::NanPolicy policy, bool fuse = true) {
  wf::nn::InferenceEngine engine(
      net, {.threads = 1, .batch = batch, .fuse_activations = fuse, .nan_policy = policy});
  std::vector<float> logits;
  engine.infer_normalized(input, batch, logits);
  return logits;
}

}  // namespace

TEST_CASE("every element-wise op and pool whose oneDNN kernel turns NaN into a number says so") {
  // Input [2, 4, 4] of 0.5 with one NaN at the first value; the first output reads it.
  for (const std::string op :
       {"relu", "clipped_relu", "tanh", "sigmoid", "leaky_relu", "hard_swish", "gelu", "affine",
        "pow", "sqrt", "hard_sigmoid", "max_pool", "avg_pool", "global_avg_pool", "softmax"}) {
    INFO(op);
    wf::nn::Network net;
    net.add_layer(wf::test::make_input({2, 4, 4}));
    auto layer = make_layer("op", op, {"input"});
    layer.clip_max = 1.0f;
    layer.attributes["alpha"] = 0.1;
    layer.attributes["exponent"] = 2.0;
    layer.attributes["scale"] = 2.0;
    layer.kernel = {2, 2};
    layer.stride = {2, 2};
    net.add_layer(layer);
    net.add_layer(make_layer("flat", "flatten", {"op"}));
    net.finalize();
    std::vector<float> input(32, 0.5f);
    input[0] = kNaN;
    const auto out = run(net, input, 1, wf::nn::NanPolicy::flush_relu, false);
    const bool dropped = !std::isnan(out[0]);
    CHECK(dropped == wf::nn::op_named(op).drops_nan());
    // The reference propagates NaN for every op (IEEE, PyTorch).
    CHECK(std::isnan(wf::reference::logits(net, input, 1)[0]));
  }
}

TEST_CASE(
    "NaN and Inf weights in conv and dense layers: propagate as IEEE, flush_relu as hardware") {
  // conv 1->4 (3x3), relu, max pool 2, flatten, dense 36->10, relu, dense 10->3; 4 samples.
  wf::SplitMix64 rng(41);
  wf::nn::Network net;
  net.add_layer(wf::test::make_input({1, 8, 8}));
  net.add_layer(wf::test::make_conv("conv", "input", 1, 4, 3, 1, {0, 0, 0, 0}, rng));
  net.add_layer(make_layer("relu", "relu", {"conv"}));
  auto pool = make_layer("pool", "max_pool", {"relu"});
  pool.kernel = {2, 2};
  pool.stride = {2, 2};
  net.add_layer(pool);
  net.add_layer(make_layer("flat", "flatten", {"pool"}));
  net.add_layer(wf::test::make_dense("fc1", "flat", 36, 10, rng));
  net.add_layer(make_layer("relu1", "relu", {"fc1"}));
  net.add_layer(wf::test::make_dense("fc2", "relu1", 10, 3, rng));
  net.finalize();
  const auto input = wf::test::random_values(4 * 64, rng);

  struct Case {
    const char* what;
    const char* layer;
    std::size_t at;
    float value;
    bool flush_gives_numbers;  // under flush_relu every logit is a number
  };
  const float inf = std::numeric_limits<float>::infinity();
  for (const Case& c : {Case{"NaN conv weight", "conv", 0, kNaN, true},
                        Case{"Inf conv weight", "conv", 4, inf, false},
                        Case{"huge conv weight (overflow)", "conv", 4, 3e38f, false},
                        Case{"NaN dense weight", "fc1", 7, kNaN, true},
                        Case{"Inf dense weight", "fc2", 2, inf, false}}) {
    INFO(std::string(c.what));
    wf::nn::Network faulty = net;
    faulty.mutable_layer(faulty.index_of(c.layer)).params.at("kernel").values[c.at] = c.value;
    const auto want = wf::reference::logits(faulty, input, 4);
    for (const bool fuse : {true, false}) {
      const auto got = run(faulty, input, 4, wf::nn::NanPolicy::propagate, fuse);
      std::size_t nan_rows = 0;
      for (std::size_t n = 0; n < 4; ++n) {
        bool want_nan = false, got_nan = false;
        for (std::size_t k = 0; k < 3; ++k) {
          want_nan = want_nan || std::isnan(want[n * 3 + k]);
          got_nan = got_nan || std::isnan(got[n * 3 + k]);
        }
        // A row with a NaN logit has no prediction (docs/inference.md): the engine has one
        // exactly when IEEE arithmetic does (a NaN made before a NaN-dropping layer makes the
        // whole row NaN; one made after it, in the last layer, the logits it reaches).
        INFO("sample ", n, ": want ", want[n * 3], " ", want[n * 3 + 1], " ", want[n * 3 + 2],
             ", got ", got[n * 3], " ", got[n * 3 + 1], " ", got[n * 3 + 2], ", fused ", fuse);
        CHECK(got_nan == want_nan);
        nan_rows += want_nan ? 1 : 0;
        if (!want_nan) {
          for (std::size_t k = 0; k < 3; ++k) {
            const float w = want[n * 3 + k], g = got[n * 3 + k];
            if (std::isinf(w))
              CHECK(g == w);
            else
              CHECK(std::abs(g - w) <= 1e-4f * std::abs(w) + 1e-5f);
          }
        }
      }
      if (c.value != c.value) CHECK(nan_rows == 4);  // a NaN weight reaches every sample
    }
    // flush_relu: the ReLUs and the max pool turn NaN into numbers, fused or not.
    const auto flushed = run(faulty, input, 4, wf::nn::NanPolicy::flush_relu, true);
    const auto unfused = run(faulty, input, 4, wf::nn::NanPolicy::flush_relu, false);
    for (std::size_t k = 0; k < flushed.size(); ++k) {
      CHECK((std::isnan(flushed[k]) == std::isnan(unfused[k])));
      if (c.flush_gives_numbers) CHECK(std::isfinite(flushed[k]));
    }
  }
  // Without faults both policies give the same logits, bit for bit.
  CHECK(run(net, input, 4, wf::nn::NanPolicy::propagate) ==
        run(net, input, 4, wf::nn::NanPolicy::flush_relu));
}

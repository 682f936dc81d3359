// Questions: does a Keras Sequential model give the same scores after import
// as Keras' own HWC arithmetic (layout conversion and the Flatten permutation)?
// Is an unsupported layer named? Does the real pretrained MNIST CNN score
// exactly 9907/10000 after Keras -> ours -> eval?
#include <doctest/doctest.h>

#include <cmath>

#include "common/input_error.h"
#include "nn/dataset.h"
#include "nn/evaluation.h"
#include "nn/inference_engine.h"
#include "nn/keras_import.h"
#include "nn/model_file.h"
#include "tests/fixtures.h"

namespace wf = weightfault;
using nlohmann::json;

namespace {

constexpr int kH = 5, kW = 4, kC = 3, kF = 2, kOut = 3;

json layer(const std::string& cls, json config) {
  return {{"class_name", cls}, {"config", std::move(config)}};
}

// Keras semantics computed directly in HWC: conv 3x3 'same' -> BN -> relu -> Flatten -> Dense.
std::vector<float> keras_forward(const std::vector<float>& x_hwc, const std::vector<float>& conv_k,
                                 const std::vector<float>& conv_b, const std::vector<float>& bn,
                                 const std::vector<float>& dense_k,
                                 const std::vector<float>& dense_b) {
  std::vector<double> feat(kH * kW * kF);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x)
      for (int f = 0; f < kF; ++f) {
        double acc = conv_b[f];
        for (int ky = 0; ky < 3; ++ky)
          for (int kx = 0; kx < 3; ++kx)
            for (int c = 0; c < kC; ++c) {
              const int yy = y + ky - 1, xx = x + kx - 1;
              if (yy < 0 || yy >= kH || xx < 0 || xx >= kW) continue;
              acc += conv_k[((ky * 3 + kx) * kC + c) * kF + f] * x_hwc[(yy * kW + xx) * kC + c];
            }
        const double g = bn[f], b = bn[kF + f], m = bn[2 * kF + f], v = bn[3 * kF + f];
        acc = g * (acc - m) / std::sqrt(v + 1e-3) + b;
        feat[(y * kW + x) * kF + f] = std::max(acc, 0.0);
      }
  std::vector<float> out(kOut);
  for (int o = 0; o < kOut; ++o) {
    double acc = dense_b[o];
    for (std::size_t i = 0; i < feat.size(); ++i) acc += dense_k[i * kOut + o] * feat[i];
    out[o] = static_cast<float>(acc);
  }
  return out;
}

}  // namespace

TEST_CASE("an imported Keras model computes what Keras' HWC arithmetic computes") {
  const auto dir = wf::test::fresh_dir("keras_small");
  wf::SplitMix64 rng(7);
  const auto conv_k = wf::test::random_values(3 * 3 * kC * kF, rng, 0.5f);
  const auto conv_b = wf::test::random_values(kF, rng, 0.1f);
  auto bn = wf::test::random_values(4 * kF, rng, 0.5f);
  for (int f = 0; f < kF; ++f) bn[3 * kF + f] += 1.0f;  // variances
  const auto dense_k = wf::test::random_values(kH * kW * kF * kOut, rng, 0.3f);
  const auto dense_b = wf::test::random_values(kOut, rng, 0.1f);
  const json layers = json::array(
      {layer("Conv2D", {{"name", "conv"},
                        {"filters", kF},
                        {"kernel_size", {3, 3}},
                        {"strides", {1, 1}},
                        {"padding", "same"},
                        {"activation", "linear"},
                        {"use_bias", true},
                        {"data_format", "channels_last"},
                        {"batch_input_shape", {nullptr, kH, kW, kC}}}),
       layer("BatchNormalization", {{"name", "bn"}, {"axis", -1}, {"epsilon", 1e-3}}),
       layer("Activation", {{"name", "act"}, {"activation", "relu"}}),
       layer("Flatten", {{"name", "flat"}}), layer("Dropout", {{"name", "drop"}, {"rate", 0.5}}),
       layer("Dense",
             {{"name", "fc"}, {"units", kOut}, {"activation", "softmax"}, {"use_bias", true}})});
  auto slice = [&](int k) {
    return std::vector<float>(bn.begin() + k * kF, bn.begin() + (k + 1) * kF);
  };
  wf::test::write_keras_model(
      dir / "small.h5", layers,
      {{"conv", {{"kernel:0", {3, 3, kC, kF}, conv_k}, {"bias:0", {kF}, conv_b}}},
       {"bn",
        {{"gamma:0", {kF}, slice(0)},
         {"beta:0", {kF}, slice(1)},
         {"moving_mean:0", {kF}, slice(2)},
         {"moving_variance:0", {kF}, slice(3)}}},
       {"fc", {{"kernel:0", {kH * kW * kF, kOut}, dense_k}, {"bias:0", {kOut}, dense_b}}}});

  // Through our file format, with batch norm folded on load, as users run it.
  wf::nn::save_model(wf::nn::import_keras(dir / "small.h5"), dir / "small_wf.h5");
  const auto net = wf::nn::load_model(dir / "small_wf.h5");
  CHECK(net.layer(net.output_layer()).op == "softmax");
  wf::nn::InferenceEngine engine(net, {.threads = 1, .batch = 3});
  for (int sample = 0; sample < 3; ++sample) {
    const auto x_hwc = wf::test::random_values(kH * kW * kC, rng);
    std::vector<float> x_chw(x_hwc.size());
    for (int c = 0; c < kC; ++c)
      for (int y = 0; y < kH; ++y)
        for (int x = 0; x < kW; ++x) x_chw[(c * kH + y) * kW + x] = x_hwc[(y * kW + x) * kC + c];
    std::vector<float> got;
    engine.infer_normalized(x_chw, 1, got);
    const auto want = keras_forward(x_hwc, conv_k, conv_b, bn, dense_k, dense_b);
    REQUIRE(got.size() == want.size());
    for (int o = 0; o < kOut; ++o) CHECK(got[o] == doctest::Approx(want[o]).epsilon(1e-4));
  }
}

TEST_CASE("a Keras file with an unsupported layer names the layer and its class") {
  const auto dir = wf::test::fresh_dir("keras_unsupported");
  const json layers =
      json::array({layer("Flatten", {{"name", "flat"}, {"batch_input_shape", {nullptr, 4, 4, 1}}}),
                   layer("LSTM", {{"name", "lstm_1"}, {"units", 4}})});
  wf::test::write_keras_model(dir / "lstm.h5", layers, {});
  CHECK_THROWS_WITH_AS(
      wf::nn::import_keras(dir / "lstm.h5"),
      doctest::Contains("Keras layer 'lstm_1': layer class 'LSTM' is not supported"),
      wf::InputError);
}

TEST_CASE("an unsupported activation and a non-Keras file are reported") {
  const auto dir = wf::test::fresh_dir("keras_bad");
  const json layers = json::array(
      {layer("Activation",
             {{"name", "act"}, {"activation", "selu"}, {"batch_input_shape", {nullptr, 4}}})});
  wf::test::write_keras_model(dir / "selu.h5", layers, {});
  CHECK_THROWS_WITH_AS(wf::nn::import_keras(dir / "selu.h5"),
                       doctest::Contains("activation 'selu' is not supported"), wf::InputError);
  wf::nn::save_model(wf::test::tiny_mnist_network(1), dir / "ours.h5");
  CHECK_THROWS_WITH_AS(wf::nn::import_keras(dir / "ours.h5"),
                       doctest::Contains("no 'model_config' attribute"), wf::InputError);
}

TEST_CASE("the pretrained Keras MNIST CNN scores 9907/10000 after import, save and load") {
  const auto keras = wf::test::data_root() / "external" / "mnist-react-tfjs" / "keras" / "cnn.h5";
  const auto dir = wf::test::fresh_dir("keras_cnn");
  const auto imported = wf::nn::import_keras(keras);
  CHECK(imported.parameter_count() == 1199882);
  wf::nn::save_model(imported, dir / "mnist_cnn.h5");
  const auto net = wf::nn::load_model(dir / "mnist_cnn.h5");
  const auto data = wf::nn::load_dataset(wf::test::data_root(), "mnist", "test");
  wf::nn::InferenceEngine engine(net, {.threads = 2, .batch = 1000});
  const auto m = wf::nn::evaluate(engine, data);
  CHECK(m.total == 10000);
  CHECK(m.correct == 9907);
  CHECK(m.nan_predictions == 0);
  const auto first = wf::nn::load_dataset(wf::test::data_root(), "mnist", "test", 1000);
  CHECK(wf::nn::evaluate(engine, first).correct == 988);
}

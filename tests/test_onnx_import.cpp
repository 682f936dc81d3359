// Questions: does an ONNX network exported by PyTorch import to the same network --
// the same logits for the first test images, the same predictions on the whole test
// set (scripts/export_onnx_models.py records PyTorch's)? Does the importer refuse
// what it cannot map with a message naming the node, its op type and opset?
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/input_error.h"
#include "nn/dataset.h"
#include "nn/evaluation.h"
#include "nn/inference_engine.h"
#include "nn/model_file.h"
#include "nn/onnx_import.h"
#include "tests/fixtures.h"

namespace wf = weightfault;

namespace {

std::filesystem::path onnx_dir() {
  return wf::test::data_root() / "models" / "onnx";
}

nlohmann::json record_of(const std::string& name) {
  std::ifstream in(onnx_dir() / (name + ".json"));
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("the shipped PyTorch ResNet-style CNN imports with PyTorch's logits and predictions") {
  const auto record = record_of("resnet_dw_mnist");
  wf::nn::OnnxImportOptions options;
  options.normalization.scale = record.at("input_scale").get<float>();
  const auto net = wf::nn::import_onnx(onnx_dir() / "resnet_dw_mnist.onnx", options);
  // The model file round trip is what users evaluate.
  const auto dir = wf::test::fresh_dir("onnx_import");
  wf::nn::save_model(net, dir / "model.h5");
  const auto loaded = wf::nn::load_model(dir / "model.h5");

  const auto data = wf::nn::load_dataset(wf::test::data_root(), "mnist", "test", 64);
  wf::nn::InferenceEngine engine(loaded, {.threads = 2, .batch = 64});
  std::vector<float> logits;
  engine.infer(data.pixels, data.size(), logits);
  const auto& want = record.at("first_logits");
  REQUIRE(want.size() == 64);
  // Tolerance: float32 sums in another order (and batch norms folded into the convolutions)
  // differ by rounding: |got - want| <= 1e-4 * max|want| + 1e-5 per image.
  std::size_t same_prediction = 0;
  for (std::size_t n = 0; n < 64; ++n) {
    const auto& row = want[n];
    double scale = 0, worst = 0;
    std::size_t best_got = 0, best_want = 0;
    for (std::size_t k = 0; k < 10; ++k) {
      const double w = row[k].get<double>(), g = logits[n * 10 + k];
      scale = std::max(scale, std::abs(w));
      worst = std::max(worst, std::abs(g - w));
      if (g > logits[n * 10 + best_got]) best_got = k;
      if (w > row[best_want].get<double>()) best_want = k;
    }
    INFO("image ", n, ": max |diff| ", worst, " at scale ", scale);
    CHECK(worst <= 1e-4 * scale + 1e-5);
    same_prediction += best_got == best_want ? 1 : 0;
  }
  CHECK(same_prediction == 64);

  // The whole test set: the same number of correct predictions as PyTorch.
  const auto all = wf::nn::load_dataset(wf::test::data_root(), "mnist", "test");
  wf::nn::InferenceEngine full(loaded, {.threads = 2, .batch = 1000});
  CHECK(wf::nn::evaluate(full, all).correct == record.at("test_correct").get<std::size_t>());
}

TEST_CASE("ONNX import refuses what it cannot map, naming the node, op type and opset") {
  const std::filesystem::path data = "/usr/share/libonnx-testdata/data/node";
  CHECK_THROWS_WITH_AS(wf::nn::import_onnx(data / "test_exp" / "model.onnx", {}),
                       doctest::Contains("(Exp, opset "), wf::InputError);
  CHECK_THROWS_WITH_AS(wf::nn::import_onnx(data / "test_exp" / "model.onnx", {}),
                       doctest::Contains("this op type is not supported (supported: Add, "),
                       wf::InputError);
  CHECK_THROWS_WITH_AS(wf::nn::import_onnx("nowhere.onnx", {}),
                       doctest::Contains("nowhere.onnx: file not found"), wf::InputError);
  const auto dir = wf::test::fresh_dir("onnx_bad");
  std::ofstream(dir / "text.onnx") << "not a protobuf";
  CHECK_THROWS_WITH_AS(wf::nn::import_onnx(dir / "text.onnx", {}),
                       doctest::Contains("not an ONNX model"), wf::InputError);
}

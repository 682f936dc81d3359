// Questions: does an ONNX network exported by PyTorch import to the same network --
// the same logits for the first test images, the same predictions on the whole test
// set (scripts/export_onnx_models.py records PyTorch's)? Does the importer refuse
// what it cannot map with a message naming the node, its op type and opset?
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "common/input_error.h"
#include "nn/dataset.h"
#include "nn/evaluation.h"
#include "nn/inference_engine.h"
#include "nn/model_file.h"
#include "nn/onnx_import.h"
#include "sim/network_storage.h"
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

TEST_CASE(
    "every shipped network exported from PyTorch imports with PyTorch's logits and "
    "predictions") {
  std::size_t networks = 0;
  for (const auto& entry : std::filesystem::directory_iterator(onnx_dir())) {
    if (entry.path().extension() != ".onnx") continue;
    const std::string name = entry.path().stem().string();
    INFO(name);
    ++networks;
    const auto record = record_of(name);
    wf::nn::OnnxImportOptions options;
    options.normalization.scale = record.at("input_scale").get<float>();
    const auto net = wf::nn::import_onnx(entry.path(), options);
    // The model file round trip is what users evaluate.
    const auto dir = wf::test::fresh_dir("onnx_import_" + name);
    wf::nn::save_model(net, dir / "model.h5");
    const auto loaded = wf::nn::load_model(dir / "model.h5");
    const std::string dataset = record.at("dataset").get<std::string>();
    const std::string data_name = dataset.substr(0, dataset.find('/'));

    const auto data = wf::nn::load_dataset(wf::test::data_root(), data_name, "test", 64);
    wf::nn::InferenceEngine engine(loaded, {.threads = 2, .batch = 64});
    std::vector<float> logits;
    engine.infer(data.pixels, data.size(), logits);
    const auto& want = record.at("first_logits");
    REQUIRE(want.size() == 64);
    // Tolerance: float32 sums in another order (and batch norms folded into the
    // convolutions) differ by rounding: |got - want| <= 1e-4 * max|want| + 1e-5 per image.
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
    const auto all = wf::nn::load_dataset(wf::test::data_root(), data_name, "test");
    wf::nn::InferenceEngine full(loaded, {.threads = 2, .batch = 1000});
    CHECK(wf::nn::evaluate(full, all).correct == record.at("test_correct").get<std::size_t>());
  }
  CHECK(networks >= 2);
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

TEST_CASE("per-channel mean/std input normalization is applied and kept in the model file") {
  // (pixel * 1 - 0) / 255 is the network's trained input pixel / 255.
  wf::nn::OnnxImportOptions options;
  options.normalization = {.scale = 1.0f, .offset = 0.0f, .mean = {0.0f}, .std = {255.0f}};
  const auto net = wf::nn::import_onnx(onnx_dir() / "resnet_dw_mnist.onnx", options);
  const auto dir = wf::test::fresh_dir("onnx_mean_std");
  wf::nn::save_model(net, dir / "model.h5");
  const auto loaded = wf::nn::load_model(dir / "model.h5");
  CHECK(loaded.normalization.mean == std::vector<float>{0.0f});
  CHECK(loaded.normalization.std == std::vector<float>{255.0f});
  const auto data = wf::nn::load_dataset(wf::test::data_root(), "mnist", "test", 500);
  wf::nn::InferenceEngine engine(loaded, {.threads = 1, .batch = 500});
  CHECK(wf::nn::evaluate(engine, data).correct == [&] {
    wf::nn::OnnxImportOptions plain;
    plain.normalization.scale = 1.0f / 255.0f;
    const auto reference = wf::nn::import_onnx(onnx_dir() / "resnet_dw_mnist.onnx", plain);
    wf::nn::InferenceEngine e(reference, {.threads = 1, .batch = 500});
    return wf::nn::evaluate(e, data).correct;
  }());
  // A wrong number of channels is refused.
  options.normalization.mean = {0.0f, 0.0f};
  options.normalization.std = {1.0f, 1.0f};
  CHECK_THROWS_WITH_AS(wf::nn::import_onnx(onnx_dir() / "resnet_dw_mnist.onnx", options),
                       doctest::Contains("one value per input channel (1); got 2 and 2"),
                       wf::InputError);
}

TEST_CASE("every learned tensor of the imported ViT is stored, named as in the ONNX file") {
  // Projections, layer norms, the class token and the position embedding: the stored
  // tensors hold every parameter PyTorch counts (no batch norms to fold here).
  wf::nn::OnnxImportOptions options;
  options.normalization.scale = 1.0f / 255.0f;
  const auto net = wf::nn::import_onnx(onnx_dir() / "vit_mnist.onnx", options);
  const auto tensors = wf::sim::tensors_to_store(net);
  std::size_t stored = 0;
  std::set<std::string> names;
  for (const auto& t : tensors) {
    stored += t.values.size();
    names.insert(t.name);
  }
  CHECK(stored == record_of("vit_mnist").at("parameters").get<std::size_t>());
  CHECK(stored == net.parameter_count());
  for (const char* name : {"cls_token/value", "position/value", "norm.LayerNormalization/gamma",
                           "norm.LayerNormalization/beta", "head.Gemm/kernel"}) {
    INFO(name);
    CHECK(names.count(name) == 1);
  }
  const auto ops = [&] {
    std::set<std::string> out;
    for (std::size_t i = 0; i < net.size(); ++i) out.insert(net.layer(i).op);
    return out;
  }();
  for (const char* op : {"matmul", "layer_norm", "gelu", "parameter", "concat", "gather",
                         "transpose", "reshape", "slice", "affine", "softmax"}) {
    INFO(op);
    CHECK(ops.count(op) == 1);
  }
}

TEST_CASE("a lone Erf and an Expand that repeats an activation are refused clearly") {
  const std::filesystem::path data = "/usr/share/libonnx-testdata/data/node";
  CHECK_THROWS_WITH_AS(wf::nn::import_onnx(data / "test_erf" / "model.onnx", {}),
                       doctest::Contains("Erf is supported as part of the GELU pattern"),
                       wf::InputError);
  wf::nn::OnnxImportOptions options;
  options.constant_inputs["new_shape"] = {{2}, {3.0, 4.0}, false, ""};
  CHECK_THROWS_WITH_AS(
      wf::nn::import_onnx(data / "test_expand_dim_unchanged" / "model.onnx", options),
      doctest::Contains("(Expand, opset"), wf::InputError);
}

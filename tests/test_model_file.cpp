// Questions: does a model survive save -> load bit for bit? Are broken model
// files (missing weight dataset, wrong shape, not a model) reported with the
// file and the problem?
#include <doctest/doctest.h>

#include "common/hdf5_file.h"
#include "common/input_error.h"
#include "nn/model_file.h"
#include "tests/fixtures.h"

namespace wf = weightfault;

TEST_CASE("a model round-trips through the HDF5 model file unchanged") {
  const auto dir = wf::test::fresh_dir("model_roundtrip");
  const auto net = wf::test::tiny_mnist_network(3);
  wf::nn::save_model(net, dir / "tiny.h5");
  const auto back = wf::nn::load_model(dir / "tiny.h5");
  REQUIRE(back.size() == net.size());
  CHECK(back.name == net.name);
  CHECK(back.normalization.scale == net.normalization.scale);
  for (std::size_t i = 0; i < net.size(); ++i) {
    const auto& a = net.layer(i);
    const auto& b = back.layer(i);
    CHECK(a.name == b.name);
    CHECK(a.op == b.op);
    CHECK(a.inputs == b.inputs);
    CHECK(a.kernel == b.kernel);
    CHECK(a.stride == b.stride);
    CHECK(a.padding == b.padding);
    REQUIRE(a.params.size() == b.params.size());
    for (const auto& [role, tensor] : a.params) {
      CHECK(tensor.dims == b.params.at(role).dims);
      CHECK(tensor.values == b.params.at(role).values);
    }
  }
}

TEST_CASE("a missing model file is reported") {
  CHECK_THROWS_WITH_AS(wf::nn::load_model("no/such/model.h5"), "no/such/model.h5: file not found",
                       wf::InputError);
}

TEST_CASE("a file that is not HDF5 is reported") {
  const auto dir = wf::test::fresh_dir("model_not_hdf5");
  wf::test::write_idx(dir / "model.h5", {2}, {1, 2});
  CHECK_THROWS_WITH_AS(wf::nn::load_model(dir / "model.h5"), doctest::Contains("not an HDF5 file"),
                       wf::InputError);
}

TEST_CASE("a model file with a missing weight dataset is reported") {
  const auto dir = wf::test::fresh_dir("model_missing_weight");
  auto net = wf::test::tiny_mnist_network(4);
  net.mutable_layer(net.index_of("dense")).params.erase("bias");
  wf::nn::save_model(net, dir / "m.h5");
  CHECK_THROWS_WITH_AS(
      wf::nn::load_model(dir / "m.h5"),
      doctest::Contains("/layers/dense: missing weight dataset 'bias' of layer 'dense'"),
      wf::InputError);
}

TEST_CASE("a model file with a weight of the wrong shape is reported") {
  const auto dir = wf::test::fresh_dir("model_shape");
  auto net = wf::test::tiny_mnist_network(5);
  auto& kernel = net.mutable_layer(net.index_of("dense")).params.at("kernel");
  kernel.dims = {10, 675};
  kernel.values.resize(6750);
  wf::nn::save_model(net, dir / "m.h5");
  CHECK_THROWS_WITH_AS(
      wf::nn::load_model(dir / "m.h5"),
      doctest::Contains(
          "layer 'dense' (dense): weight 'kernel' has shape [10, 675], expected [10, 676]"),
      wf::InputError);
}

TEST_CASE("a Keras file given as a model is pointed to import-keras") {
  const auto dir = wf::test::fresh_dir("model_is_keras");
  wf::test::write_keras_model(dir / "k.h5", nlohmann::json::array(), {});
  CHECK_THROWS_WITH_AS(wf::nn::load_model(dir / "k.h5"),
                       doctest::Contains("weightfault import-keras"), wf::InputError);
}

TEST_CASE("a model file with a NaN or Inf weight is refused, naming the layer and index") {
  const auto dir = wf::test::fresh_dir("model_nan_weight");
  auto net = wf::test::tiny_mnist_network(3);
  const auto layer = net.topological_order().at(1);  // the first layer after the input
  net.mutable_layer(layer).params.at("kernel").values.at(5) = std::nanf("");
  wf::nn::save_model(net, dir / "nan.h5");
  CHECK_THROWS_WITH_AS(wf::nn::load_model(dir / "nan.h5"),
                       doctest::Contains("holds nan at index 5; a model's weights must be finite"),
                       wf::InputError);
}

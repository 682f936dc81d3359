// Questions: does the IDX reader read what was written (plain and gzip), and
// reject every kind of broken file with a message naming it? Are the real
// MNIST / Fashion-MNIST sets complete, and is the calibration split fixed?
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>

#include "common/hdf5_file.h"
#include "common/input_error.h"
#include "nn/dataset.h"
#include "nn/evaluation.h"
#include "nn/idx_file.h"
#include "nn/inference_engine.h"
#include "nn/model_file.h"
#include "tests/fixtures.h"

namespace wf = weightfault;
using wf::nn::read_idx_u8;

TEST_CASE("IDX reader reads plain and gzip files identically") {
  const auto dir = wf::test::fresh_dir("idx_roundtrip");
  std::vector<std::uint8_t> values(2 * 3 * 4);
  std::iota(values.begin(), values.end(), std::uint8_t{7});
  wf::test::write_idx(dir / "plain", {2, 3, 4}, values);
  wf::test::write_idx(dir / "packed.gz", {2, 3, 4}, values, true);
  for (const auto* name : {"plain", "packed.gz"}) {
    const auto array = read_idx_u8(dir / name, 3);
    CHECK(array.dims == std::vector<std::uint32_t>{2, 3, 4});
    CHECK(array.values == values);
  }
}

TEST_CASE("IDX reader rejects a missing file") {
  CHECK_THROWS_WITH_AS(read_idx_u8("no/such/file-idx3-ubyte", 3),
                       doctest::Contains("no/such/file-idx3-ubyte: IDX file not found"),
                       wf::InputError);
}

TEST_CASE("IDX reader rejects a wrong magic number") {
  const auto dir = wf::test::fresh_dir("idx_magic");
  wf::test::write_idx(dir / "bad", {2, 2, 2}, std::vector<std::uint8_t>(8), false, {0, 0, 0x0d, 3});
  CHECK_THROWS_WITH_AS(read_idx_u8(dir / "bad", 3),
                       doctest::Contains("wrong IDX magic 00 00 0d 03"), wf::InputError);
  // A label file (rank 1) where images (rank 3) are expected is also a wrong magic.
  wf::test::write_idx(dir / "labels", {4}, std::vector<std::uint8_t>(4));
  CHECK_THROWS_WITH_AS(read_idx_u8(dir / "labels", 3), doctest::Contains("wrong IDX magic"),
                       wf::InputError);
}

TEST_CASE("IDX reader rejects truncated data and headers") {
  const auto dir = wf::test::fresh_dir("idx_truncated");
  wf::test::write_idx(dir / "short", {10, 28, 28}, std::vector<std::uint8_t>(100));
  CHECK_THROWS_WITH_AS(
      read_idx_u8(dir / "short", 3),
      doctest::Contains("truncated IDX data: header declares 7840 bytes, file has 100"),
      wf::InputError);
  wf::test::write_idx(dir / "short.gz", {10, 28, 28}, std::vector<std::uint8_t>(100), true);
  CHECK_THROWS_AS(read_idx_u8(dir / "short.gz", 3), wf::InputError);
  std::filesystem::resize_file(dir / "short", 6);
  CHECK_THROWS_WITH_AS(read_idx_u8(dir / "short", 3), doctest::Contains("truncated IDX header"),
                       wf::InputError);
}

TEST_CASE("an image file and a label file with different counts are rejected") {
  const auto dir = wf::test::fresh_dir("idx_mismatch");
  wf::test::write_idx(dir / "images", {3, 2, 2}, std::vector<std::uint8_t>(12));
  wf::test::write_idx(dir / "labels", {2}, {1, 2});
  CHECK_THROWS_WITH_AS(wf::nn::load_idx_pair(dir / "images", dir / "labels"),
                       doctest::Contains("3 images but"), wf::InputError);
}

TEST_CASE("MNIST test and train sets are complete with the official label histogram") {
  const auto test = wf::nn::load_dataset(wf::test::data_root(), "mnist", "test");
  REQUIRE(test.size() == 10000);
  CHECK(test.height == 28);
  CHECK(test.width == 28);
  CHECK(wf::nn::label_histogram(test) ==
        std::vector<std::size_t>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009});
  const auto train = wf::nn::load_dataset(wf::test::data_root(), "mnist", "train_full");
  CHECK(train.size() == 60000);
  CHECK(wf::nn::label_histogram(train) ==
        std::vector<std::size_t>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949});
  const auto first = wf::nn::load_dataset(wf::test::data_root(), "mnist", "test", 100);
  CHECK(first.size() == 100);
  CHECK(std::equal(first.pixels.begin(), first.pixels.end(), test.pixels.begin()));
}

TEST_CASE("Fashion-MNIST (gzip IDX from Debian) is balanced") {
  const auto test = wf::nn::load_dataset(wf::test::data_root(), "fashion-mnist", "test");
  CHECK(test.size() == 10000);
  CHECK(wf::nn::label_histogram(test) == std::vector<std::size_t>(10, 1000));
  const auto train = wf::nn::load_dataset(wf::test::data_root(), "fashion-mnist", "train_full");
  CHECK(wf::nn::label_histogram(train) == std::vector<std::size_t>(10, 6000));
}

TEST_CASE("the calibration split is fixed, disjoint from train, and covers every class") {
  const auto a = wf::nn::calibration_indices(60000);
  const auto b = wf::nn::calibration_indices(60000);
  CHECK(a == b);
  REQUIRE(a.size() == wf::nn::kCalibrationSize);
  CHECK(std::is_sorted(a.begin(), a.end()));
  CHECK(std::adjacent_find(a.begin(), a.end()) == a.end());
  const auto calib = wf::nn::load_dataset(wf::test::data_root(), "mnist", "calibration");
  const auto train = wf::nn::load_dataset(wf::test::data_root(), "mnist", "train");
  const auto full = wf::nn::load_dataset(wf::test::data_root(), "mnist", "train_full");
  CHECK(calib.size() == 5000);
  CHECK(train.size() == 55000);
  const auto hc = wf::nn::label_histogram(calib);
  const auto ht = wf::nn::label_histogram(train);
  const auto hf = wf::nn::label_histogram(full);
  for (std::size_t c = 0; c < 10; ++c) {
    CHECK(hc[c] + ht[c] == hf[c]);
    // A uniform 1/12 sample: each class within 5 standard deviations of its expectation.
    const double expected = hf[c] * 5000.0 / 60000.0;
    CHECK(std::abs(hc[c] - expected) < 5.0 * std::sqrt(expected));
  }
  // The first calibration image is the training image at the first calibration index.
  CHECK(std::equal(calib.image(0).begin(), calib.image(0).end(), full.image(a[0]).begin()));
}

TEST_CASE("unknown dataset and split names list the known ones") {
  CHECK_THROWS_WITH_AS(wf::nn::load_dataset(wf::test::data_root(), "cifar10", "test"),
                       doctest::Contains("unknown dataset 'cifar10' (known: mnist, fashion-mnist)"),
                       wf::InputError);
  CHECK_THROWS_WITH_AS(wf::nn::load_dataset(wf::test::data_root(), "mnist", "valid"),
                       doctest::Contains("unknown dataset split 'valid'"), wf::InputError);
}

namespace {

// A user's HDF5 file holding the first `n` MNIST test images as uint8 or float32.
std::filesystem::path write_user_file(const std::string& name, std::size_t n, bool as_float,
                                      const std::vector<std::uint64_t>& sample_dims) {
  const auto mnist = wf::nn::load_dataset(wf::test::data_root(), "mnist", "test", n);
  const auto path = wf::test::fresh_dir("user_data") / name;
  const auto file = wf::h5::create_file(path);
  std::vector<std::uint64_t> dims{n};
  dims.insert(dims.end(), sample_dims.begin(), sample_dims.end());
  const std::uint8_t zero8 = 0;
  const float zero = 0.0f;
  const auto x =
      as_float
          ? wf::h5::create_dataset(file, "inputs", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, dims, &zero)
          : wf::h5::create_dataset(file, "inputs", H5T_STD_U8LE, H5T_NATIVE_UINT8, dims, &zero8);
  if (as_float) {
    std::vector<float> values(mnist.pixels.begin(), mnist.pixels.end());
    wf::h5::write_all(x, H5T_NATIVE_FLOAT, values.data());
  } else {
    wf::h5::write_all(x, H5T_NATIVE_UINT8, mnist.pixels.data());
  }
  const std::int64_t zero64 = 0;
  const auto y =
      wf::h5::create_dataset(file, "labels", H5T_STD_I64LE, H5T_NATIVE_INT64, {n}, &zero64);
  std::vector<std::int64_t> labels(mnist.labels.begin(), mnist.labels.end());
  wf::h5::write_all(y, H5T_NATIVE_INT64, labels.data());
  return path;
}

}  // namespace

TEST_CASE(
    "a user's HDF5 data (uint8 or float32, any grouping of the sample axes) evaluates as "
    "the same images do") {
  const auto net = wf::nn::load_model(wf::test::mnist_cnn_path());
  wf::nn::InferenceEngine engine(net, {.threads = 1, .batch = 64});
  const auto named = wf::nn::load_dataset(wf::test::data_root(), "mnist", "test", 150);
  const auto want = wf::nn::evaluate(engine, named).correct;
  for (const bool as_float : {false, true}) {
    for (const auto& sample : {std::vector<std::uint64_t>{1, 28, 28}, {784}}) {
      INFO("float ", as_float, ", sample axes ", sample.size());
      const auto path = write_user_file("data.h5", 200, as_float, sample);
      const auto data = wf::nn::load_dataset_file(path, "inputs", "labels", 150);
      CHECK(data.size() == 150);
      CHECK(data.is_float() == as_float);
      CHECK(wf::nn::evaluate(engine, data).correct == want);
    }
  }
}

TEST_CASE("a user's HDF5 data with a problem gets a clear error") {
  const auto path = write_user_file("data.h5", 20, false, {1, 28, 28});
  CHECK_THROWS_WITH_AS(wf::nn::load_dataset_file(path, "images", "labels"),
                       doctest::Contains("data.h5: no dataset 'images' (found: inputs, labels)"),
                       wf::InputError);
  CHECK_THROWS_WITH_AS(wf::nn::load_dataset_file(path, "inputs", "labels", 21),
                       doctest::Contains("limit 21 is more than the 20 samples it holds"),
                       wf::InputError);
  CHECK_THROWS_WITH_AS(wf::nn::load_dataset_file(path, "labels", "labels"),
                       doctest::Contains("'labels' must be [N, ...]"), wf::InputError);
  CHECK_THROWS_WITH_AS(wf::nn::load_dataset_file("nowhere.h5"), doctest::Contains("nowhere.h5"),
                       wf::InputError);
  const auto net = wf::nn::load_model(wf::test::mnist_cnn_path());
  wf::nn::InferenceEngine engine(net, {.threads = 1, .batch = 8});
  const auto wrong = write_user_file("wrong.h5", 8, false, {28, 27});
  CHECK_THROWS_WITH_AS(wf::nn::evaluate(engine, wf::nn::load_dataset_file(wrong)),
                       doctest::Contains("but model 'mnist_cnn' expects [1, 28, 28]"),
                       wf::InputError);
}

// Writes the broken input files the CLI tests feed to `weightfault`
// (tests/CMakeLists.txt): one folder per kind of user mistake.
#include <fmt/format.h>

#include <fstream>
#include <limits>

#include "common/hdf5_file.h"
#include "nn/dataset.h"
#include "nn/model_file.h"
#include "tests/fixtures.h"

namespace wf = weightfault;

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: make_bad_inputs OUTPUT_DIR\n");
    return 2;
  }
  const std::filesystem::path out(argv[1]);
  std::filesystem::remove_all(out);
  std::filesystem::create_directories(out);

  const auto net = wf::test::tiny_mnist_network(1);
  wf::nn::save_model(net, out / "model.h5");

  // A user's HDF5 data: the first 100 MNIST test images as float32 [N, 784], labels int64.
  {
    const auto mnist = wf::nn::load_dataset(wf::test::data_root(), "mnist", "test", 100);
    const auto file = wf::h5::create_file(out / "user_data.h5");
    const float zero = 0.0f;
    const std::int64_t zero64 = 0;
    const auto x =
        wf::h5::create_dataset(file, "inputs", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {100, 784}, &zero);
    const std::vector<float> values(mnist.pixels.begin(), mnist.pixels.end());
    wf::h5::write_all(x, H5T_NATIVE_FLOAT, values.data());
    const auto y =
        wf::h5::create_dataset(file, "labels", H5T_STD_I64LE, H5T_NATIVE_INT64, {100}, &zero64);
    const std::vector<std::int64_t> labels(mnist.labels.begin(), mnist.labels.end());
    wf::h5::write_all(y, H5T_NATIVE_INT64, labels.data());
  }

  auto missing = net;
  missing.mutable_layer(missing.index_of("conv")).params.erase("kernel");
  wf::nn::save_model(missing, out / "missing_weight.h5");

  auto wrong = net;
  auto& kernel = wrong.mutable_layer(wrong.index_of("conv")).params.at("kernel");
  kernel.dims = {4, 1, 5, 5};
  kernel.values.resize(100);
  wf::nn::save_model(wrong, out / "shape_mismatch.h5");

  using nlohmann::json;
  const json layers = json::array(
      {json{{"class_name", "Flatten"},
            {"config", {{"name", "flat"}, {"batch_input_shape", {nullptr, 28, 28, 1}}}}},
       json{{"class_name", "SimpleRNN"}, {"config", {{"name", "rnn_1"}, {"units", 4}}}}});
  wf::test::write_keras_model(out / "unsupported_layer.h5", layers, {});

  // Data roots with one broken MNIST test set each.
  const std::vector<std::uint8_t> labels(10, 3);
  auto mnist_dir = [&](const std::string& name) {
    const auto dir = out / name / "external" / "mnist";
    std::filesystem::create_directories(dir);
    return dir;
  };
  auto dir = mnist_dir("truncated");
  wf::test::write_idx(dir / "t10k-images-idx3-ubyte", {10, 28, 28},
                      std::vector<std::uint8_t>(5000));
  wf::test::write_idx(dir / "t10k-labels-idx1-ubyte", {10}, labels);
  dir = mnist_dir("bad_magic");
  wf::test::write_idx(dir / "t10k-images-idx3-ubyte", {10, 28, 28}, std::vector<std::uint8_t>(7840),
                      false, {0x1f, 0x8c, 0x08, 0x03});
  wf::test::write_idx(dir / "t10k-labels-idx1-ubyte", {10}, labels);
  dir = mnist_dir("count_mismatch");
  wf::test::write_idx(dir / "t10k-images-idx3-ubyte", {10, 28, 28},
                      std::vector<std::uint8_t>(7840));
  wf::test::write_idx(dir / "t10k-labels-idx1-ubyte", {9}, std::vector<std::uint8_t>(9, 1));
  dir = mnist_dir("good");
  wf::test::write_idx(dir / "t10k-images-idx3-ubyte", {10, 28, 28},
                      std::vector<std::uint8_t>(7840, 128));
  wf::test::write_idx(dir / "t10k-labels-idx1-ubyte.gz", {10}, labels, true);

  // A model whose conv kernel holds a NaN (a corrupted file, or a training that diverged).
  auto with_nan = net;
  with_nan.mutable_layer(with_nan.index_of("conv")).params.at("kernel").values[7] =
      std::numeric_limits<float>::quiet_NaN();
  wf::nn::save_model(with_nan, out / "nan_weight.h5");

  // A gzip file whose compressed body is garbage (header intact).
  dir = mnist_dir("corrupt_gzip");
  {
    std::vector<std::uint8_t> bytes{0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03};
    for (int i = 0; i < 200; ++i) bytes.push_back(static_cast<std::uint8_t>(i * 37 + 11));
    std::ofstream(dir / "t10k-images-idx3-ubyte.gz", std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
  }
  wf::test::write_idx(dir / "t10k-labels-idx1-ubyte", {10}, labels);

  // Another run's claim on an output (docs/results-format.md, "Safe writes").
  std::ofstream(out / "locked.h5.partial") << "";

  // Results files edited by hand: the finished base run of fuzz/bases/, with the
  // accuracy of one result replaced by the wrong shape, or given a value of 7.5.
  const auto source = wf::test::data_root().parent_path();
  const auto base = source / "fuzz" / "bases" / "results_finished.h5";
  const auto copy = [&](const std::string& name) {
    std::filesystem::copy_file(base, out / name);
    return wf::h5::open_file_rw(out / name);
  };
  {
    const auto file = copy("results_wrong_shape.h5");
    H5Ldelete(file.id(), "results/none/fp32/accuracy", H5P_DEFAULT);
    const double zero = 0.0;
    const auto group = wf::h5::open_group(file, "results/none/fp32");
    wf::h5::create_dataset(group, "accuracy", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {3}, &zero);
  }
  {
    const auto file = copy("results_accuracy_7_5.h5");
    const auto accuracy = wf::h5::open_dataset(file, "results/none/fp32/accuracy");
    std::vector<double> values(4);
    wf::h5::read_into(accuracy, H5T_NATIVE_DOUBLE, values.data());
    values[1] = 7.5;
    wf::h5::write_all(accuracy, H5T_NATIVE_DOUBLE, values.data());
  }
  // A killed run of fuzz/bases/results_finished.toml to resume with other settings.
  std::filesystem::create_directories(out / "resume");
  std::filesystem::copy_file(base, out / "resume" / "out.h5.partial");
  return 0;
}

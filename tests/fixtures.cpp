#include "tests/fixtures.h"

#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <stdexcept>

#include "common/hdf5_file.h"

namespace weightfault::test {

std::filesystem::path data_root() {
  return std::filesystem::path(WEIGHTFAULT_SOURCE_DIR) / "data";
}
std::filesystem::path mnist_cnn_path() {
  return data_root() / "models" / "mnist_cnn.h5";
}

std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("weightfault-test-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

nn::ModelDefinition load_definition_text(const std::string& text, const std::string& dir) {
  const auto path = fresh_dir(dir) / "m.toml";
  std::ofstream(path) << text;
  return nn::load_model_definition(path);
}

void write_idx(const std::filesystem::path& path, const std::vector<std::uint32_t>& dims,
               const std::vector<std::uint8_t>& values, bool gzip,
               std::vector<std::uint8_t> magic) {
  std::vector<std::uint8_t> bytes =
      magic.empty() ? std::vector<std::uint8_t>{0, 0, 0x08, static_cast<std::uint8_t>(dims.size())}
                    : magic;
  for (auto d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes.push_back(static_cast<std::uint8_t>(d >> shift));
  }
  bytes.insert(bytes.end(), values.begin(), values.end());
  if (gzip) {
    gzFile f = gzopen(path.string().c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
  }
}

std::vector<float> random_values(std::size_t count, SplitMix64& rng, float scale) {
  std::vector<float> v(count);
  for (auto& x : v) {
    x = scale * (2.0f * static_cast<float>(rng.next() >> 40) / static_cast<float>(1u << 24) - 1.0f);
  }
  return v;
}

nn::Tensor random_tensor(const std::vector<std::int64_t>& dims, SplitMix64& rng, float scale) {
  std::size_t count = 1;
  for (auto d : dims) count *= static_cast<std::size_t>(d);
  return {dims, random_values(count, rng, scale)};
}

nn::Layer make_input(const nn::Shape& shape) {
  nn::Layer l;
  l.name = "input";
  l.op = "input";
  l.input_shape = shape;
  return l;
}

nn::Layer make_layer(const std::string& name, const std::string& op,
                     std::vector<std::string> inputs) {
  nn::Layer l;
  l.name = name;
  l.op = op;
  l.inputs = std::move(inputs);
  return l;
}

nn::Layer make_conv(const std::string& name, const std::string& input, std::int64_t in_channels,
                    std::int64_t out_channels, std::int64_t k, std::int64_t stride,
                    std::array<std::int64_t, 4> padding, SplitMix64& rng) {
  auto l = make_layer(name, "conv2d", {input});
  l.units = out_channels;
  l.kernel = {k, k};
  l.stride = {stride, stride};
  l.padding = padding;
  l.params["kernel"] = random_tensor({out_channels, in_channels, k, k}, rng);
  l.params["bias"] = random_tensor({out_channels}, rng, 0.1f);
  return l;
}

nn::Layer make_dense(const std::string& name, const std::string& input, std::int64_t in,
                     std::int64_t out, SplitMix64& rng) {
  auto l = make_layer(name, "dense", {input});
  l.units = out;
  l.params["kernel"] = random_tensor({out, in}, rng, 0.2f);
  l.params["bias"] = random_tensor({out}, rng, 0.1f);
  return l;
}

nn::Layer make_batch_norm(const std::string& name, const std::string& input, std::int64_t channels,
                          SplitMix64& rng) {
  auto l = make_layer(name, "batch_norm", {input});
  l.epsilon = 1e-3f;
  l.params["gamma"] = random_tensor({channels}, rng, 1.0f);
  l.params["beta"] = random_tensor({channels}, rng, 0.5f);
  l.params["moving_mean"] = random_tensor({channels}, rng, 0.5f);
  auto var = random_tensor({channels}, rng, 0.5f);
  for (auto& v : var.values) v += 1.0f;  // positive variances
  l.params["moving_variance"] = var;
  return l;
}

nn::Network tiny_mnist_network(std::uint64_t seed) {
  SplitMix64 rng(seed);
  nn::Network net;
  net.name = "tiny";
  net.source = "tests/fixtures.cpp";
  net.add_layer(make_input({1, 28, 28}));
  net.add_layer(make_conv("conv", "input", 1, 4, 3, 1, {0, 0, 0, 0}, rng));
  net.add_layer(make_layer("relu", "relu", {"conv"}));
  auto pool = make_layer("pool", "max_pool", {"relu"});
  pool.kernel = {2, 2};
  pool.stride = {2, 2};
  net.add_layer(pool);
  net.add_layer(make_layer("flatten", "flatten", {"pool"}));
  net.add_layer(make_dense("dense", "flatten", 4 * 13 * 13, 10, rng));
  net.add_layer(make_layer("softmax", "softmax", {"dense"}));
  net.finalize();
  return net;
}

void write_keras_model(const std::filesystem::path& path, const nlohmann::json& layers,
                       const std::map<std::string, std::vector<KerasWeight>>& weights) {
  const auto file = h5::create_file(path);
  const nlohmann::json config{{"class_name", "Sequential"}, {"config", layers}};
  h5::write_string_attribute(file, "model_config", config.dump());
  h5::write_string_attribute(file, "keras_version", "2.0.4");
  h5::write_string_attribute(file, "backend", "tensorflow");
  const auto root = h5::create_group(file, "model_weights");
  std::vector<std::string> names;
  for (const auto& layer : layers)
    names.push_back(layer.at("config").at("name").get<std::string>());
  h5::write_string_list_attribute(root, "layer_names", names);
  for (const auto& name : names) {
    const auto group = h5::create_group(root, name);
    std::vector<std::string> weight_names;
    const auto it = weights.find(name);
    if (it != weights.end()) {
      const auto inner = h5::create_group(group, name);
      for (const auto& w : it->second) {
        weight_names.push_back(name + "/" + w.name);
        h5::write_float_dataset(inner, w.name, w.dims, w.values);
      }
    }
    h5::write_string_list_attribute(group, "weight_names", weight_names);
  }
}

const memory::FaultModelRegistry& builtin_registry() {
  static const memory::FaultModelRegistry registry = [] {
    memory::FaultModelRegistry r;
    memory::register_builtin_fault_models(r);
    return r;
  }();
  return registry;
}

const memory::FaultModelInfo& fault_model(const std::string& name) {
  const auto* info = builtin_registry().find(name);
  if (info == nullptr) throw std::invalid_argument("no built-in fault model '" + name + "'");
  return *info;
}

}  // namespace weightfault::test

// Test fixtures: temporary folders, hand-made IDX, model and Keras files,
// seeded random networks. Shared by the unit tests and tests/make_bad_inputs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/split_mix.h"
#include "memory_models/fault_model.h"
#include "nn/model_definition.h"
#include "nn/network.h"

namespace weightfault::test {

// Repository data folder (data/), where scripts/setup.sh puts MNIST and the CNN.
std::filesystem::path data_root();
std::filesystem::path mnist_cnn_path();

// A fresh empty folder under the system temp folder, unique per process and name.
std::filesystem::path fresh_dir(const std::string& name);

// Writes `text` as <fresh_dir(dir)>/m.toml and loads it as a model definition.
nn::ModelDefinition load_definition_text(const std::string& text, const std::string& dir);

// Writes an unsigned-byte IDX file; `magic` overrides the first 4 bytes.
void write_idx(const std::filesystem::path& path, const std::vector<std::uint32_t>& dims,
               const std::vector<std::uint8_t>& values, bool gzip = false,
               std::vector<std::uint8_t> magic = {});

// Uniform values in [-scale, scale) from a SplitMix64 stream.
nn::Tensor random_tensor(const std::vector<std::int64_t>& dims, SplitMix64& rng,
                         float scale = 0.5f);
std::vector<float> random_values(std::size_t count, SplitMix64& rng, float scale = 1.0f);

nn::Layer make_input(const nn::Shape& shape);
nn::Layer make_layer(const std::string& name, const std::string& op,
                     std::vector<std::string> inputs);
// conv2d with random OIHW kernel and bias.
nn::Layer make_conv(const std::string& name, const std::string& input, std::int64_t in_channels,
                    std::int64_t out_channels, std::int64_t k, std::int64_t stride,
                    std::array<std::int64_t, 4> padding, SplitMix64& rng);
nn::Layer make_dense(const std::string& name, const std::string& input, std::int64_t in,
                     std::int64_t out, SplitMix64& rng);
nn::Layer make_batch_norm(const std::string& name, const std::string& input, std::int64_t channels,
                          SplitMix64& rng);

// A small MNIST-shaped CNN (conv, relu, pool, flatten, dense, softmax) with random weights.
nn::Network tiny_mnist_network(std::uint64_t seed);

// Keras 2.x HDF5 file: `layers` is the Sequential config list; `weights` maps a
// layer name to its (weight name, dims, values) in Keras layout.
struct KerasWeight {
  std::string name;  // e.g. "kernel:0"
  std::vector<std::int64_t> dims;
  std::vector<float> values;
};
void write_keras_model(const std::filesystem::path& path, const nlohmann::json& layers,
                       const std::map<std::string, std::vector<KerasWeight>>& weights);

// The built-in fault models. Scenarios point into the registry, so it lives
// as long as the test program (read-only after construction).
const memory::FaultModelRegistry& builtin_registry();
// A built-in fault model by name (a test fails loudly on an unknown name).
const memory::FaultModelInfo& fault_model(const std::string& name);

}  // namespace weightfault::test

// Read-path cost of each protection: decoded weights per second when every
// weight of the pretrained MNIST CNN is read through the protection's decoder
// (check, correct, decode, unscale, clamp), against `none` in the same run.
//
// Usage (from the repository root): build/bench/bench_protections [--model
// data/models/mnist_cnn.h5]; layer_drop's CRC check is measured on
// data/models/mlp_mnist_subnet.h5 (it needs a model with sub-models).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "nn/model_file.h"
#include "sim/network_storage.h"

namespace wf = weightfault;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  std::string model = "data/models/mnist_cnn.h5";
  std::string subnet_model = "data/models/mlp_mnist_subnet.h5";  // layer_drop needs sub-models
  if (argc == 3 && std::string(argv[1]) == "--model") model = argv[2];
  try {
    const auto net = wf::nn::load_model(model);
    const wf::memory::AddressMapping mapping(wf::memory::Geometry{}, "RoBaRaCoCh");
    fmt::print("{} weights of {}, each read through the decoder; median of 5 passes\n",
               net.parameter_count(), net.name);
    fmt::print("{:<6} {:<14} {:>8} {:>16} {:>10}\n", "dtype", "protection", "bits/w", "weights/s",
               "x none");
    for (const char* dtype : {"fp32", "fp16", "q1.6"}) {
      double none_rate = 0;
      for (const std::string chain :
           {"none", "scale", "clamp", "parity_zero", "secded", "scale+secded"}) {
        const auto spec = wf::storage::make_protection(chain);
        const auto image =
            wf::sim::store_network(net, spec, {wf::storage::dtype_named(dtype), {}, false},
                                   wf::memory::PlacementPolicy::packed, mapping);
        std::vector<std::vector<float>> values;
        for (std::size_t t = 0; t < image.tensors().size(); ++t)
          values.push_back(image.golden_values(t));
        std::vector<double> rates;
        for (int pass = 0; pass < 5; ++pass) {
          const auto start = Clock::now();
          std::size_t weights = 0;
          for (std::size_t t = 0; t < image.tensors().size(); ++t) {
            for (std::size_t g = 0; g < image.tensors()[t].groups(); ++g) {
              image.decode_group(t, g, image.golden_bytes(), values[t]);
            }
            weights += image.tensors()[t].elements;
          }
          rates.push_back(static_cast<double>(weights) /
                          std::chrono::duration<double>(Clock::now() - start).count());
        }
        std::sort(rates.begin(), rates.end());
        const double rate = rates[2];
        if (chain == "none") none_rate = rate;
        fmt::print("{:<6} {:<14} {:>8.1f} {:>16.4g} {:>10.2f}\n", dtype, chain,
                   image.bits_per_weight(), rate, rate / none_rate);
      }
    }
    // layer_drop: the CRC check of detachable layers (a model with sub-models).
    const auto subnet = wf::nn::load_model(subnet_model);
    const auto spec = wf::storage::make_protection("layer_drop");
    const auto image =
        wf::sim::store_network(subnet, spec, {wf::storage::dtype_named("fp32"), {}, false},
                               wf::memory::PlacementPolicy::packed, mapping);
    std::vector<double> rates;
    std::size_t checked = 0;
    for (int pass = 0; pass < 5; ++pass) {
      const auto start = Clock::now();
      std::size_t weights = 0, intact = 0;
      for (std::size_t t = 0; t < image.tensors().size(); ++t) {
        for (std::size_t c = 0; c < image.tensors()[t].check_chunks(); ++c)
          intact += image.chunk_intact(t, c, image.golden_bytes()) ? 1 : 0;
        if (image.tensors()[t].check_chunks() > 0) weights += image.tensors()[t].elements;
      }
      rates.push_back(static_cast<double>(weights) /
                      std::chrono::duration<double>(Clock::now() - start).count());
      checked = intact;
    }
    std::sort(rates.begin(), rates.end());
    fmt::print(
        "\nlayer_drop on {} (fp32): {} CRC chunks, {:.3f} bits/w; CRC check {:.4g} weights/s\n",
        subnet.name, checked, image.bits_per_weight(), rates[2]);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_protections: error: {}\n", e.what());
    return 1;
  }
  return 0;
}

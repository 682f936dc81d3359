// Clean-evaluation throughput of a model on MNIST test images with the oneDNN
// engine, for several batch sizes and engine thread counts, against a named
// baseline measured in the same run: the plain-loop reference implementation
// (tests/reference_layers.cpp) on one thread. Also times set_weights, the hot
// path of every fault trial.
//
// For a network exported from PyTorch (data/models/onnx/<name>.json beside its
// .onnx), the test split is the JSON's and PyTorch's images/s on this machine, as
// scripts/export_onnx_models.py recorded them, are printed beside weightfault's.
//
// Usage: bench_inference [--model data/models/mnist_cnn.h5 [--model ...]] [--data-root data]
//                        [--images 10000] [--repeats 3]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include <fstream>
#include <nlohmann/json.hpp>

#include "nn/dataset.h"
#include "nn/evaluation.h"
#include "nn/inference_engine.h"
#include "nn/model_file.h"
#include "tests/reference_layers.h"

#include "bench/stopwatch.h"

namespace wf = weightfault;
using weightfault::bench::Clock;
using weightfault::bench::seconds_since;

namespace {

// PyTorch's record of a shipped ONNX network (null when the model is not one).
nlohmann::json pytorch_record(const std::string& data_root, const std::string& name) {
  std::ifstream in(std::string(data_root) + "/models/onnx/" + name + ".json");
  return in ? nlohmann::json::parse(in) : nlohmann::json();
}

void bench_model(const std::string& model, const std::string& data_root, std::size_t images,
                 int repeats);

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> models;
  std::string data_root = "data";
  std::size_t images = 10000;
  int repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key == "--model")
      models.push_back(argv[i + 1]);
    else if (key == "--data-root")
      data_root = argv[i + 1];
    else if (key == "--images")
      images = std::stoul(argv[i + 1]);
    else if (key == "--repeats")
      repeats = std::stoi(argv[i + 1]);
    else {
      fmt::print(stderr, "unknown option {}\n", key);
      return 2;
    }
  }
  if (models.empty()) models.push_back("data/models/mnist_cnn.h5");
  try {
    for (const auto& model : models) bench_model(model, data_root, images, repeats);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_inference: error: {}\n", e.what());
    return 1;
  }
  return 0;
}

namespace {

void bench_model(const std::string& model, const std::string& data_root, std::size_t images,
                 int repeats) {
  {
    const auto net = wf::nn::load_model(model);
    const auto record = pytorch_record(data_root, net.name);
    std::string dataset = "mnist";
    if (!record.is_null()) {
      const auto split = record.at("dataset").get<std::string>();
      dataset = split.substr(0, split.find('/'));
    }
    const auto data = wf::nn::load_dataset(data_root, dataset, "test", images);
    fmt::print("\nmodel {} ({} parameters), {} {} test images, median of {} repeats\n", net.name,
               net.parameter_count(), data.size(), dataset, repeats);

    // Baseline: the plain-loop reference on 200 images, one thread.
    const std::size_t ref_images = std::min<std::size_t>(200, data.size());
    std::vector<float> input(ref_images * data.image_size());
    for (std::size_t k = 0; k < input.size(); ++k) {
      input[k] = net.normalization.apply(static_cast<float>(data.pixels[k]), k, data.image_size());
    }
    auto start = Clock::now();
    const auto ref_logits = wf::reference::logits(net, input, ref_images);
    const double ref_rate = static_cast<double>(ref_images) / seconds_since(start);
    fmt::print("baseline  reference plain loops, 1 thread: {:>9.0f} images/s\n", ref_rate);

    fmt::print("{:>7} {:>8} {:>12} {:>10} {:>9}\n", "threads", "batch", "images/s", "x baseline",
               "correct");
    double best_two_threads = 0.0;
    for (const int threads : {1, 2}) {
      for (const std::size_t batch : {64, 256, 1000}) {
        wf::nn::InferenceEngine engine(net, {.threads = threads, .batch = batch});
        wf::nn::evaluate(engine, data);  // warm-up: JIT kernels, caches, page faults
        std::vector<double> rates;
        std::size_t correct = 0;
        for (int r = 0; r < repeats; ++r) {
          start = Clock::now();
          correct = wf::nn::evaluate(engine, data).correct;
          rates.push_back(static_cast<double>(data.size()) / seconds_since(start));
        }
        std::sort(rates.begin(), rates.end());
        const double median = rates[rates.size() / 2];
        fmt::print("{:>7} {:>8} {:>12.0f} {:>10.1f} {:>9}\n", threads, batch, median,
                   median / ref_rate, correct);
        if (threads == 2) best_two_threads = std::max(best_two_threads, median);
      }
    }
    // The NaN policy's cost: propagate checks the inputs of NaN-dropping layers and keeps
    // ReLUs unfused; flush_relu is the plain fused network (docs/inference.md).
    for (const auto policy : {wf::nn::NanPolicy::propagate, wf::nn::NanPolicy::flush_relu}) {
      wf::nn::InferenceEngine engine(net, {.threads = 2, .batch = 256, .nan_policy = policy});
      wf::nn::evaluate(engine, data);
      std::vector<double> rates;
      for (int r = 0; r < repeats; ++r) {
        start = Clock::now();
        wf::nn::evaluate(engine, data);
        rates.push_back(static_cast<double>(data.size()) / seconds_since(start));
      }
      std::sort(rates.begin(), rates.end());
      fmt::print("nan_policy {:<10} (2 threads, batch 256): {:>9.0f} images/s\n",
                 wf::nn::nan_policy_name(policy), rates[rates.size() / 2]);
    }
    if (!record.is_null()) {
      // PyTorch on this machine, as the export script measured it (2 threads, per batch).
      const double torch_rate = record.at("pytorch_images_per_second").get<double>();
      fmt::print(
          "pytorch {} (2 threads, best batch {}): {:.0f} images/s; weightfault's best at 2 "
          "threads: {:.0f} images/s = {:.2f}x\n",
          record.value("pytorch_version", "?"), record.value("pytorch_batch", 0), torch_rate,
          best_two_threads, best_two_threads / torch_rate);
    }

    // The hot path of a fault trial: replace one layer's stored tensors (copy + reorder).
    wf::nn::InferenceEngine engine(net, {.threads = 1, .batch = 256});
    for (const auto i : net.topological_order()) {
      const auto& layer = net.layer(i);
      if (!layer.has_weights()) continue;
      std::size_t weights = 0;
      const int calls = 200;
      start = Clock::now();
      for (int c = 0; c < calls; ++c) {
        for (const auto& [role, tensor] : layer.params) {
          engine.set_param(i, role, tensor.values);
          if (c == 0) weights += tensor.size();
        }
      }
      fmt::print("set_param {:<10} {:>8} weights: {:>8.1f} us per call\n", layer.name, weights,
                 1e6 * seconds_since(start) / calls);
    }
  }
}

}  // namespace

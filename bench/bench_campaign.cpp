// Seconds per trial of a campaign with the evaluation it uses (restart at the first
// changed layer from the cached fault-free activations) against full evaluation
// (`run --full-eval`), measured in one run, on the full 10,000-image test set, fp32,
// unprotected, per BER; the set-up (model, data, stored images, reference evaluation
// and activation cache) reported apart. Both ways must give identical accuracies: the
// program checks it.
//
// Usage (from the repository root, after scripts/setup.sh):
//   build/bench/bench_campaign [--trials 3] [--threads 1]
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/hdf5_file.h"
#include "memory_models/fault_model.h"
#include "sim/campaign.h"
#include "sim/scenario.h"

#include "bench/int_options.h"

namespace wf = weightfault;

namespace {

struct Timing {
  double setup_s = 0.0, per_trial_s = 0.0;
  std::vector<double> accuracy;
};

Timing run_once(const std::filesystem::path& dir, const std::string& model,
                const std::string& dataset, double ber, int trials, int threads, bool full) {
  const auto scenario = dir / "bench.toml";
  const auto output = dir / (full ? "full.h5" : "incremental.h5");
  std::filesystem::remove(output);
  std::ofstream(scenario) << fmt::format(R"([model]
file = "{}"
[dataset]
name = "{}"
[memory]
rows = 8192
[[fault_model]]
name = "uniform_ber"
ber = {}
[campaign]
dtypes = ["fp32"]
trials = {}
seed = 1
engine_threads = 2
output = "{}"
)",
                                         model, dataset, ber, trials, output.string());
  wf::memory::FaultModelRegistry registry;
  wf::memory::register_builtin_fault_models(registry);
  const auto sc = wf::sim::load_scenario(scenario, registry);
  wf::sim::CampaignOptions options;
  options.threads = threads;
  options.full_eval = full;
  const auto summary = wf::sim::run_campaign(sc, registry, options);
  Timing t;
  t.setup_s = summary.setup_seconds;
  t.per_trial_s = (summary.seconds - summary.setup_seconds) / trials;
  const auto f = wf::h5::open_file(output);
  t.accuracy = wf::h5::read_doubles(wf::h5::open_dataset(
      wf::h5::open_group(wf::h5::open_group(wf::h5::open_group(f, "results"), "none"), "fp32"),
      "accuracy"));
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  int trials = 3, threads = 1;
  if (!wf::bench::parse_int_options(argc, argv, {{"--trials", &trials}, {"--threads", &threads}}))
    return 2;
  const auto dir = std::filesystem::temp_directory_path() / "weightfault-bench-campaign";
  std::filesystem::create_directories(dir);
  int mismatches = 0;
  try {
    for (const auto& [model, dataset] :
         {std::pair<std::string, std::string>{"data/models/mnist_cnn.h5", "mnist"},
          {"data/models/wide_cnn_fashion.h5", "fashion-mnist"}}) {
      fmt::print(
          "\n{} on 10,000 {} test images, fp32, {} trials per BER, {} trial worker(s) x 2 "
          "engine threads\n",
          model, dataset, trials, threads);
      fmt::print("{:>8} {:>14} {:>14} {:>8} {:>12} {:>12}\n", "BER", "restart s/trial",
                 "full s/trial", "ratio", "setup s", "setup s full");
      for (const double ber : {1e-8, 1e-7, 1e-6, 1e-5, 1e-4}) {
        const auto fast = run_once(dir, model, dataset, ber, trials, threads, false);
        const auto full = run_once(dir, model, dataset, ber, trials, threads, true);
        fmt::print("{:>8.0e} {:>14.3f} {:>14.3f} {:>7.1f}x {:>12.1f} {:>12.1f}\n", ber,
                   fast.per_trial_s, full.per_trial_s, full.per_trial_s / fast.per_trial_s,
                   fast.setup_s, full.setup_s);
        if (fast.accuracy != full.accuracy) {
          ++mismatches;
          fmt::print("  MISMATCH: the two ways gave different accuracies\n");
        }
      }
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_campaign: error: {}\n", e.what());
    return 1;
  }
  fmt::print("\n{}\n", mismatches == 0 ? "both ways gave identical accuracies at every BER"
                                       : "MISMATCHES: see above");
  return mismatches == 0 ? 0 : 1;
}

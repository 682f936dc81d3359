// Seconds per trial of a campaign with the evaluation it uses -- incremental: the dense
// tail's delta updates (nn/dense_tail.h) where every changed weight lies there, else a
// restart at the first changed layer from the cached fault-free activations -- against
// restart alone and against full evaluation (`run --full-eval`), measured in one run,
// on the full 10,000-image test set, fp32, unprotected, per BER; the set-up (model,
// data, stored images, reference evaluation and activation caches) reported apart. The
// program compares the accuracies: restart must equal full exactly; incremental may
// differ by float rounding (it counts the trials where it does).
//
// Usage (from the repository root, after scripts/setup.sh):
//   build/bench/bench_campaign [--trials 3] [--threads 1] [--ber-exponent E] [--network N]
// (--ber-exponent -6: only BER 1e-6; --network 1: only the MNIST CNN, 2: only the wide CNN.)
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
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

enum class Mode { incremental, restart, full };

Timing run_once(const std::filesystem::path& dir, const std::string& model,
                const std::string& dataset, double ber, int trials, int threads, Mode mode) {
  const auto scenario = dir / "bench.toml";
  const auto output = dir / "bench.h5";
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
  options.full_eval = mode == Mode::full;
  options.dense_tail = mode == Mode::incremental;
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
  int trials = 3, threads = 1, ber_exponent = 0, network = 0;
  if (!wf::bench::parse_int_options(argc, argv,
                                    {{"--trials", &trials},
                                     {"--threads", &threads},
                                     {"--ber-exponent", &ber_exponent},
                                     {"--network", &network}}))
    return 2;
  int network_index = 0;
  const auto dir = std::filesystem::temp_directory_path() / "weightfault-bench-campaign";
  std::filesystem::create_directories(dir);
  int mismatches = 0;
  try {
    for (const auto& [model, dataset] :
         {std::pair<std::string, std::string>{"data/models/mnist_cnn.h5", "mnist"},
          {"data/models/wide_cnn_fashion.h5", "fashion-mnist"}}) {
      if (network != 0 && network != ++network_index) continue;
      fmt::print(
          "\n{} on 10,000 {} test images, fp32, {} trials per BER, {} trial worker(s) x 2 "
          "engine threads\n",
          model, dataset, trials, threads);
      fmt::print("{:>8} {:>13} {:>13} {:>13} {:>9} {:>9} {:>9} {:>9}\n", "BER", "incr. s/trial",
                 "restart s/tr.", "full s/trial", "full/incr", "full/rest", "setup s",
                 "setup full");
      for (const double ber : {1e-8, 1e-7, 1e-6, 1e-5, 1e-4}) {
        if (ber_exponent != 0 && std::abs(std::log10(ber) - ber_exponent) > 0.01) continue;
        const auto incremental =
            run_once(dir, model, dataset, ber, trials, threads, Mode::incremental);
        const auto restart = run_once(dir, model, dataset, ber, trials, threads, Mode::restart);
        const auto full = run_once(dir, model, dataset, ber, trials, threads, Mode::full);
        fmt::print("{:>8.0e} {:>13.4f} {:>13.4f} {:>13.4f} {:>8.1f}x {:>8.1f}x {:>9.1f} {:>9.1f}\n",
                   ber, incremental.per_trial_s, restart.per_trial_s, full.per_trial_s,
                   full.per_trial_s / incremental.per_trial_s,
                   full.per_trial_s / restart.per_trial_s, incremental.setup_s, full.setup_s);
        std::fflush(stdout);
        if (restart.accuracy != full.accuracy) {
          ++mismatches;
          fmt::print("  MISMATCH: restart and full evaluation gave different accuracies\n");
        }
        std::size_t differing = 0;
        double widest = 0.0;
        for (std::size_t k = 0; k < full.accuracy.size(); ++k) {
          const double d = std::abs(incremental.accuracy[k] - full.accuracy[k]);
          differing += d > 0.0 ? 1 : 0;
          widest = std::max(widest, d);
        }
        if (differing > 0)
          fmt::print(
              "  incremental differs from full in {} trial(s), by at most {:.0f} sample(s)\n",
              differing, widest * 10000);
      }
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_campaign: error: {}\n", e.what());
    return 1;
  }
  fmt::print("\n{}\n", mismatches == 0
                           ? "restart and full evaluation gave identical accuracies at every BER"
                           : "MISMATCHES: see above");
  return mismatches == 0 ? 0 : 1;
}

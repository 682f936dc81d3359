// Fault sampling and campaign throughput.
//
// 1. uniform_ber over a 1 GiB stored image at BER 1e-9 ... 1e-3: faults
//    sampled per second and time per fault map -- the cost must follow the
//    fault count, not the 8.6e9 bits. Baseline in the same run: one
//    Bernoulli draw per bit over 64 MiB, scaled to 1 GiB.
// 2. Applying each map to a 1 GiB image copy (records + touched words only).
// 3. Campaign trials per second at each sweep point of scenarios/quickstart.toml.
//
// Usage (from the repository root): build/bench/bench_faults [--trials 6] [--threads 2]
#include <fmt/format.h>

#include <boost/random/bernoulli_distribution.hpp>
#include <chrono>
#include <filesystem>
#include <string>

#include "memory_models/fault_model.h"
#include "sim/campaign.h"
#include "sim/scenario.h"

#include "bench/int_options.h"
#include "bench/stopwatch.h"

namespace wf = weightfault;
using weightfault::bench::Clock;
using weightfault::bench::seconds_since;

int main(int argc, char** argv) {
  int trials = 6;
  int threads = 2;
  if (!wf::bench::parse_int_options(argc, argv, {{"--trials", &trials}, {"--threads", &threads}}))
    return 2;
  try {
    wf::memory::FaultModelRegistry registry;
    wf::memory::register_builtin_fault_models(registry);
    const wf::memory::Geometry geometry;  // 8 banks x 65536 rows x 1024 columns x 64 bits = 4 GiB
    const wf::memory::AddressMapping mapping(geometry, "RoBaRaCoCh");
    const std::uint64_t image_bits = std::uint64_t{8} << 30;  // 1 GiB
    const wf::memory::Placement placement({{"image", image_bits / 32, 32}},
                                          wf::memory::PlacementPolicy::packed, mapping);

    // Baseline: one Bernoulli draw per bit (what O(faults) sampling avoids).
    {
      wf::memory::Rng rng(1);
      boost::random::bernoulli_distribution<double> flip(1e-6);
      const std::uint64_t bits = std::uint64_t{64} << 23;  // 64 MiB
      std::uint64_t hits = 0;
      const auto start = Clock::now();
      for (std::uint64_t b = 0; b < bits; ++b) hits += flip(rng) ? 1 : 0;
      const double per_gib =
          seconds_since(start) * static_cast<double>(image_bits) / static_cast<double>(bits);
      fmt::print(
          "baseline: one Bernoulli draw per bit, 1 GiB: {:.2f} s per map (measured on 64 MiB, {} "
          "hits)\n",
          per_gib, hits);
    }

    fmt::print("\nuniform_ber over a 1 GiB image ({:.3g} bits)\n", static_cast<double>(image_bits));
    fmt::print("{:>8} {:>12} {:>14} {:>14} {:>14} {:>14}\n", "ber", "faults/map", "sample ms/map",
               "faults/s", "apply ms/map", "ns/fault (all)");
    std::vector<std::uint8_t> image(image_bits / 8, 0);
    const auto* info = registry.find("uniform_ber");
    for (double ber = 1e-9; ber < 2e-3; ber *= 10) {
      wf::ParamValues params;
      params.set("ber", ber);
      const auto model = info->create(params);
      std::size_t maps = 0, faults = 0;
      double sample_s = 0, apply_s = 0;
      while (sample_s + apply_s < 0.3 || maps < 3) {
        wf::memory::Rng rng(maps + 1);
        wf::memory::FaultMap map;
        auto start = Clock::now();
        model->generate({mapping, image_bits, 0.0, 0.0, 0}, rng, map);
        sample_s += seconds_since(start);
        start = Clock::now();
        const auto applied = map.apply(0.0, mapping, placement, image);
        for (const auto bit : applied.touched_bits) image[bit / 8] = 0;  // restore, as a trial does
        apply_s += seconds_since(start);
        faults += map.size();
        ++maps;
      }
      const double per_map = static_cast<double>(faults) / static_cast<double>(maps);
      fmt::print("{:>8.0e} {:>12.4g} {:>14.4f} {:>14.4g} {:>14.4f} {:>14.1f}\n", ber, per_map,
                 1e3 * sample_s / maps, static_cast<double>(faults) / sample_s,
                 1e3 * apply_s / maps,
                 faults ? 1e9 * (sample_s + apply_s) / static_cast<double>(faults) : 0.0);
    }

    fmt::print(
        "\ncampaign trials per second, scenarios/quickstart.toml, {} trials per point, {} "
        "thread(s)\n",
        trials, threads);
    const auto scenario = wf::sim::load_scenario("scenarios/quickstart.toml", registry);
    const auto out = std::filesystem::temp_directory_path() / "weightfault-bench-campaign.h5";
    fmt::print("{:>8} {:>10} {:>12} {:>10}\n", "ber", "trials/s", "evaluations", "seconds");
    for (const double ber : scenario.sweep.at(0).values) {
      auto sc = scenario;
      sc.sweep[0].values = {ber};
      sc.trials = trials;
      sc.output = out.string();
      wf::sim::CampaignOptions options;
      options.threads = threads;
      const auto s = wf::sim::run_campaign(sc, registry, options);
      fmt::print("{:>8.0e} {:>10.2f} {:>12} {:>10.1f}\n", ber,
                 static_cast<double>(s.trials_run) / s.seconds, s.evaluations, s.seconds);
    }
    std::filesystem::remove(out);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_faults: error: {}\n", e.what());
    return 1;
  }
  return 0;
}

// Simulated years per second for each scenario of the device-physics library.
//
// 1. Physics only: fault maps drawn over the whole timeline (all fault models,
//    environment, writes), per trial: simulated years x trials / seconds.
// 2. Reading the memory: applying a map at every checkpoint to a copy of the
//    first stored image (+ scrub of a secded image when the scenario scrubs).
// 3. End to end: `run` with --trials K (reference set-up included):
//    simulated years x points x trials / seconds.
//
// Usage (from the repository root, after scripts/setup.sh):
//   build/bench/bench_timeline [--trials 2] [--threads 2] [--maps 20]
#include <fmt/format.h>

#include <filesystem>
#include <string>

#include "bench/int_options.h"
#include "bench/stopwatch.h"
#include "memory_models/fault_model.h"
#include "nn/model_file.h"
#include "sim/campaign.h"
#include "sim/network_storage.h"
#include "sim/scenario.h"
#include "sim/scrub.h"

namespace wf = weightfault;
using weightfault::bench::Clock;
using weightfault::bench::seconds_since;

int main(int argc, char** argv) {
  int trials = 2, threads = 2, maps = 20;
  if (!wf::bench::parse_int_options(
          argc, argv, {{"--trials", &trials}, {"--threads", &threads}, {"--maps", &maps}}))
    return 2;
  wf::memory::FaultModelRegistry registry;
  wf::memory::register_builtin_fault_models(registry);
  constexpr double kYear = 365.25 * 86400.0;
  fmt::print("{:<28} {:>7} {:>10} {:>12} {:>12} {:>12} {:>12}\n", "scenario", "years", "faults/map",
             "map ms", "physics y/s", "read ms/map", "run y/s");
  for (const char* name :
       {"dram_datacenter_aging", "automotive_dram_105c", "edge_sram_voltage_scaling",
        "leo_satellite_sram", "stt_mram_write_errors", "field_faults_7y", "sram_seu_scrub"}) {
    auto sc = wf::sim::load_scenario(fmt::format("scenarios/{}.toml", name), registry);
    const double years = sc.checkpoints_s.back() / kYear;
    const wf::memory::AddressMapping mapping(sc.geometry, sc.mapping);
    const auto network = wf::nn::load_model(sc.model_file);
    std::vector<wf::storage::StoredImage> images;
    std::uint64_t extent = 0;
    for (const auto& p : wf::sim::protections_for(sc, network)) {
      for (const auto& d : sc.dtypes) {
        images.push_back(wf::sim::store_network(network, p, d, sc.placement, mapping));
        extent = std::max(extent, images.back().placement().extent_bits());
      }
    }
    std::vector<std::unique_ptr<wf::memory::FaultModel>> models;
    for (std::size_t m = 0; m < sc.fault_models.size(); ++m)
      models.push_back(sc.fault_models[m].info->create(sc.params_at(m, sc.points() - 1)));
    // 1. Physics.
    std::vector<wf::memory::FaultMap> drawn;
    auto start = Clock::now();
    double faults = 0;
    for (int k = 0; k < maps; ++k) {
      drawn.push_back(wf::sim::draw_fault_map(sc, models, mapping, extent, sc.points() - 1,
                                              static_cast<std::size_t>(k)));
      faults += static_cast<double>(drawn.back().size());
    }
    const double physics_s = seconds_since(start);
    // 2. Reading at every checkpoint (and scrubbing an image whose code corrects when the
    // scenario scrubs).
    auto bytes = images.front().golden_bytes();
    const wf::storage::StoredImage* secded = nullptr;
    for (const auto& img : images) {
      if (secded == nullptr && img.scrubs()) secded = &img;
    }
    start = Clock::now();
    for (const auto& map : drawn) {
      if (sc.scrub_interval_s > 0 && secded != nullptr)
        (void)wf::sim::scrubbed(map, *secded, mapping, sc.scrub_interval_s);
      for (const double t : sc.checkpoints_s) {
        const auto applied = map.apply(t, mapping, images.front().placement(), bytes);
        for (const auto bit : applied.touched_bits)
          bytes[bit / 8] = images.front().golden_bytes()[bit / 8];
      }
    }
    const double read_s = seconds_since(start);
    // 3. End to end.
    sc.trials = trials;
    sc.output =
        (std::filesystem::temp_directory_path() / fmt::format("bench_{}.h5", name)).string();
    start = Clock::now();
    wf::sim::CampaignOptions options;
    options.threads = threads;
    wf::sim::run_campaign(sc, registry, options);
    const double run_s = seconds_since(start);
    std::filesystem::remove(sc.output);
    fmt::print("{:<28} {:>7.3g} {:>10.4g} {:>12.3g} {:>12.3g} {:>12.3g} {:>12.3g}\n", name, years,
               faults / maps, 1e3 * physics_s / maps, years * maps / physics_s, 1e3 * read_s / maps,
               years * static_cast<double>(sc.points()) * trials / run_s);
  }
  return 0;
}

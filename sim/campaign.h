// The campaign: for each sweep point x trial, draw the fault map over the
// physical address range; then for each protection x dtype read the stored
// image through it and evaluate. Every dtype of a trial reads its own
// addresses from the same fault map (paired faults, docs/architecture.md).
//
// Determinism: a trial's random streams derive from (seed, point, trial,
// fault model, purpose) only, and each worker's engine has the scenario's
// fixed thread count, so --threads N never changes a result.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "memory_models/fault_model.h"
#include "sim/scenario.h"

namespace weightfault::sim {

class Cluster;

struct CampaignOptions {
  int threads = 1;                // size of the trial pool
  std::optional<int> only_trial;  // rerun trial K of every sweep point
  std::string data_root = "data";
  bool progress = false;                      // progress line on stderr
  std::function<void()> first_trial_written;  // called once, after the first trial is flushed
  bool resume = false;  // continue the killed run in the output file (its unfinished trials)
  // Evaluate every trial over the whole network (no restart at the first changed layer from
  // the cached fault-free activations): the plain way, to check a result both ways.
  bool full_eval = false;
  // Trials whose changed weights all lie in the dense tail (nn/dense_tail.h) are evaluated
  // from its recorded activations; false: restart at the first changed layer instead.
  bool dense_tail = true;
  // Set (by a signal handler) to stop: trials in flight finish, no new one starts, and the
  // file is left resumable with status "interrupted".
  const std::atomic<bool>* stop = nullptr;
  // The ranks of an MPI run (sim/cluster.h): trials are split over them and the root
  // writes the one results file. nullptr: this process alone.
  const Cluster* cluster = nullptr;
};

// What `validate` reports after the set-up `run` does before its first evaluation.
struct CampaignCheck {
  std::string model;
  std::size_t images = 0;
  std::uint64_t stored_bits = 0, capacity_bits = 0;
};
// Runs every check `run` runs before its first evaluation (model, data, geometry, layer
// names, placement), without evaluating; throws InputError as `run` would.
CampaignCheck check_campaign(const Scenario& scenario, const std::string& data_root);

struct CampaignSummary {
  std::size_t trials_run = 0;
  std::size_t evaluations =
      0;  // dataset evaluations (skipped when no fault touched a dtype's image)
  double seconds = 0.0;
  double setup_seconds = 0.0;      // before the first trial: model, data, images, references
  bool interrupted = false;        // stopped by CampaignOptions::stop before every trial ran
  std::size_t bytes_received = 0;  // an MPI run's root: trial records sent by the other ranks
};

// Random-stream purposes (part of every stream's seed).
enum class StreamPurpose : std::uint64_t { faults = 1 };

// The context fault model `model` of the scenario draws in: the whole timeline, its
// environment, writes, checkpoints and refresh window.
memory::FaultModelContext fault_context(const Scenario& scenario,
                                        const memory::AddressMapping& mapping,
                                        std::uint64_t extent_bits, std::size_t model,
                                        std::span<const double> write_times_s);

// Analytic expected active faults at each checkpoint, [T][model] (for reports).
std::vector<double> expected_active_faults(
    const Scenario& scenario, const std::vector<std::unique_ptr<memory::FaultModel>>& models,
    const memory::AddressMapping& mapping, std::uint64_t extent_bits);

// The fault map of (point, trial): every fault model's faults over [0, extent_bits).
memory::FaultMap draw_fault_map(const Scenario& scenario,
                                const std::vector<std::unique_ptr<memory::FaultModel>>& models,
                                const memory::AddressMapping& mapping, std::uint64_t extent_bits,
                                std::size_t point, std::size_t trial);

CampaignSummary run_campaign(const Scenario& scenario, const memory::FaultModelRegistry& registry,
                             const CampaignOptions& options);

}  // namespace weightfault::sim

// A scenario: one study, loaded from a TOML file and validated strictly.
// Every problem of a file is reported at once, each as
//   file:line:col: key.path: rule; got 'value'
// Unknown keys are errors; nothing is silently defaulted for a misspelled key.
// The keys are documented in docs/scenarios.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/parameter.h"
#include "memory_models/address_mapping.h"
#include "memory_models/fault_model.h"
#include "memory_models/placement.h"
#include "nn/dataset.h"
#include "nn/inference_engine.h"
#include "nn/network.h"
#include "storage/protection.h"
#include "storage/stored_image.h"

namespace weightfault::sim {

struct FaultModelSpec {
  const memory::FaultModelInfo* info =
      nullptr;        // points into the registry, which outlives the scenario
  ParamValues fixed;  // parameters given in the [[fault_model]] table, defaults filled in
};

struct SweepAxis {
  std::string param;  // a sweepable parameter of one or more fault models
  std::vector<double> values;
};

struct Scenario {
  std::string file;
  std::string text;  // the file as read

  std::string model_file;
  std::string dataset = "mnist";
  std::string split = "test";
  std::size_t limit = 0;
  // Or a user's data (docs/datasets.md): an HDF5 file, or an IDX image/label pair.
  std::string dataset_file, dataset_inputs = "inputs", dataset_labels = "labels";
  std::string idx_images, idx_labels;

  memory::Geometry geometry;
  std::string mapping = "RoBaRaCoCh";
  memory::PlacementPolicy placement = memory::PlacementPolicy::packed;
  // Faults land only in the stored words of these layers (weights, checks, CRCs):
  // a study of one layer's memory being corrupted. Empty: the whole memory.
  std::vector<std::string> target_layers;

  std::vector<FaultModelSpec> fault_models;
  std::vector<SweepAxis> sweep;  // zipped: point p takes values[p] of every axis

  std::vector<storage::DTypeSpec> dtypes;
  std::vector<storage::ProtectionSpec> protections{storage::ProtectionSpec{}};
  bool none_added = false;  // `none` was not listed: added as the baseline
  int trials = 10;          // per sweep point; with target_ci_halfwidth, the most
  // Adaptive trial counts: stop adding trials to a sweep point once the widest 95 %
  // interval of mean accuracy (over protections, dtypes, checkpoints) is at most this
  // half-width, after at least min_trials (0 = always run `trials`).
  double target_ci_halfwidth = 0.0;
  int min_trials = 0;
  std::uint64_t seed = 1;
  std::string output;
  double critical_drop = 0.1;  // accuracy drop (fraction) that makes a trial critical
  std::size_t batch = 1000;
  int engine_threads = 1;
  nn::NanPolicy nan_policy = nn::NanPolicy::propagate;  // [inference] nan_policy
  // Golden activations kept to restart at a layer and to evaluate the dense tail by deltas
  // (all dtypes): a cap, each study takes what its images need (docs/performance.md).
  std::size_t activation_cache_mib = 4096;
  std::vector<int> save_faultmaps{0};

  // Simulated time ([timeline]): the memory is read and the network evaluated
  // at each checkpoint; faults are sticky until a rewrite clears flips.
  std::vector<double> checkpoints_s{0.0};
  double rewrite_interval_s = 0.0;    // 0 = never rewritten
  double scrub_interval_s = 0.0;      // 0 = no scrub; secded images write back what they correct
  double refresh_interval_s = 0.064;  // DRAM refresh window (JEDEC tREFW at <= 85 C)
  bool has_timeline = false;
  memory::Environment environment;

  // Times the whole memory is written: 0, then every rewrite up to the last checkpoint.
  std::vector<double> write_times_s() const;

  // Every file a run reads -- the scenario, model, data and fault lists: an output may be
  // none of them (common/output_file.h).
  std::vector<std::filesystem::path> input_files() const;

  std::size_t points() const { return sweep.empty() ? 1 : sweep.front().values.size(); }
  std::size_t checkpoints() const { return checkpoints_s.size(); }
  // All parameters of fault model `m` at sweep point `p`.
  ParamValues params_at(std::size_t m, std::size_t p) const;
};

// The scenario's data: a named dataset's split, a user's HDF5 file or an IDX pair.
nn::Dataset load_scenario_dataset(const Scenario& sc, const std::filesystem::path& data_root);

// "none" and every protection stage (chains combine stages with '+').
std::vector<std::string> known_protections();

// The protections to run on `network`: the scenario's, except that a model
// trained with a weight transform (SAF) stores raw weights, so its baseline is
// the stage that reads them through f (saf: the added `none` becomes `saf`) and
// every chain must include it. Throws InputError naming a chain that would read
// raw weights as weights.
std::vector<storage::ProtectionSpec> protections_for(const Scenario& scenario,
                                                     const nn::Network& network);

// Throws InputError holding every problem found, one per line.
Scenario load_scenario(const std::filesystem::path& path,
                       const memory::FaultModelRegistry& registry);

}  // namespace weightfault::sim

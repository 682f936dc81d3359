// The HDF5 results file of a campaign (layout: docs/results-format.md).
// Every dataset is created, allocated and filled (NaN / -1 / 0) when the file
// is created and flushed; finished trials then only overwrite raw data and
// flush, so a run killed at any moment leaves a readable file whose
// `finished` flags say which trials are in it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/hdf5_file.h"
#include "memory_models/address_mapping.h"
#include "memory_models/fault_map.h"
#include "sim/scenario.h"

namespace weightfault::sim {

struct ResultsLayout {
  std::vector<std::string> protections;
  std::vector<bool> baseline;  // per protection: reads weights as the unprotected model does
  std::vector<std::string> dtypes;
  std::vector<int> word_bits;            // per dtype: bits of its widest word
  std::vector<std::string> layers;       // layers with weights, in order
  std::vector<std::string> sweep_units;  // per sweep axis
  std::vector<double> bits_per_weight;   // per (protection, dtype): stored bits incl. checks
  std::string model_name;
  std::size_t images = 0;
  std::vector<std::string> fault_models;  // names, in scenario order
};

struct TrialRecord {
  std::size_t point = 0, trial = 0, protection = 0, dtype = 0, checkpoint = 0;
  double accuracy = 0.0;
  std::int64_t correct = 0;
  std::int64_t faults_active = 0;
  std::int64_t bits_changed = 0;
  // Decode groups (codewords) that read differently from golden or needed the code, by
  // outcome: corrected, detected-uncorrectable (DUE) and silently wrong (SDC).
  std::int64_t codewords_corrected = 0, codewords_detected = 0, codewords_silent = 0;
  std::vector<std::int64_t> weights_changed;    // per layer
  std::vector<std::int64_t> layers_dropped;     // per layer: 1 if layer_drop detached it
  std::vector<std::int64_t> flips_by_position;  // per bit position of the dtype's word
  // Faults of the trial's map active at each checkpoint, [T][fault model][kind]; only in the
  // trial's first record (the map is shared by every protection and dtype).
  std::vector<std::int64_t> faults_by_model_kind;
};

// A finished trial's records as bytes and back (the ranks of an MPI run send them to the
// one that writes, sim/cluster.h).
std::vector<std::uint8_t> encode_trial(const std::vector<TrialRecord>& records);
std::vector<TrialRecord> decode_trial(const std::vector<std::uint8_t>& bytes);

class ResultsWriter {
 public:
  // Creates the file; `inputs_hash` identifies the model and data the run reads.
  ResultsWriter(const std::filesystem::path& path, const Scenario& scenario,
                const ResultsLayout& layout, std::uint64_t inputs_hash);
  // Opens a killed run's file to continue it (run --resume): throws InputError naming
  // what differs when the scenario, model, data or program version are not the same.
  struct Resume {};
  // Whether a killed run's file got far enough to continue: created in full (it has a
  // status). A run killed before that has no trials, and a resume starts it afresh.
  static bool resumable(const std::filesystem::path& path);
  ResultsWriter(const std::filesystem::path& path, const Scenario& scenario,
                const ResultsLayout& layout, std::uint64_t inputs_hash, Resume);
  // How many processes ran the campaign (MPI ranks; 1 without MPI): the one attribute,
  // with the creation time, in which a file differs from one process's.
  void write_ranks(int ranks);
  // Whether every (protection, dtype) of trial k of point p is in the file.
  bool trial_finished(std::size_t point, std::size_t trial) const {
    return !finished_.empty() &&
           finished_[point * static_cast<std::size_t>(scenario_.trials) + trial];
  }

  void write_reference(std::size_t protection, std::size_t dtype, std::int64_t correct,
                       double accuracy);
  void write_faultmap(std::size_t point, std::size_t trial, const memory::FaultMap& map,
                      const memory::AddressMapping& mapping);
  void write_trial(const TrialRecord& record);  // raw data only
  // Analytic expected active faults of sweep point `point`, [T][fault model].
  void write_expected_faults(std::size_t point, const std::vector<double>& expected);
  // Trials kept per sweep point (all of them, or fewer with target_ci_halfwidth).
  void write_trials_run(const std::vector<std::int64_t>& trials_run);
  void flush();
  // Status "interrupted": the finished trials are in, the file can be resumed.
  void mark_interrupted();
  // Writes summaries over the finished trials and marks the file complete.
  void finish();

 private:
  void create_cell(std::size_t p, std::size_t d, const h5::Object& protection_group);
  void open_cell(std::size_t p, std::size_t d);
  void sum_kept_flips();
  std::vector<bool> finished_;  // [P][N], resume only
  struct Cell {
    h5::Object group, accuracy, correct, faults_active, bits_changed, codewords, weights_changed,
        layers_dropped, flips, finished, reference;
    std::vector<double> accuracy_values;    // [P][N], NaN = unfinished
    std::vector<std::int64_t> flips_total;  // [P][bits]
    double reference_accuracy = 0.0;
  };
  Cell& cell(std::size_t protection, std::size_t dtype) {
    return cells_[protection * layout_.dtypes.size() + dtype];
  }

  const Scenario& scenario_;
  ResultsLayout layout_;
  h5::Object file_;
  h5::Object faultmaps_;
  h5::Object faults_active_, faults_expected_;
  std::vector<Cell> cells_;
};

}  // namespace weightfault::sim

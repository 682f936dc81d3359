// FT-ClipAct threshold tuning (Hoang, Hanif & Shafique, DATE 2020, arXiv
// 1912.00941): every ReLU becomes a clipped ReLU with its own threshold,
// profiled on the calibration split -- never the test split -- and refined
// to maximize accuracy under faults.
//
// Method (docs/protections.md): start from each ReLU's maximum activation on
// the calibration images; then, layer by layer in topological order, try the
// threshold at fractions of that maximum and keep the one with the highest
// objective -- the mean accuracy over a fixed set of fault draws at
// log-spaced bit-error rates (the area under accuracy vs log BER), the same
// draws for every candidate (paired comparison).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/network.h"

namespace weightfault::sim {

struct ClipTuningOptions {
  std::string dataset = "mnist";
  std::string data_root = "data";
  std::size_t images = 1000;  // first N calibration images
  std::vector<double> bers{1e-6, 1e-5, 1e-4};
  int draws = 3;  // fault draws per BER
  std::uint64_t seed = 1;
  std::vector<double> fractions{1.0, 0.75, 0.5, 0.35, 0.25, 0.15, 0.1};
  int threads = 1;  // oneDNN threads
  std::size_t batch = 500;
};

struct ClipLayerResult {
  std::string layer;
  float max_activation = 0.0f;
  float threshold = 0.0f;
};

struct ClipTuningResult {
  std::vector<ClipLayerResult> layers;
  double objective_unclipped = 0.0;  // mean accuracy under the draws with plain ReLUs
  double objective_tuned = 0.0;
  double clean_unclipped = 0.0;  // calibration accuracy without faults
  double clean_tuned = 0.0;
  std::string record;  // how the thresholds were made, saved with the model
};

// `network` is a loaded (finalized) model. Returns per-ReLU thresholds.
ClipTuningResult tune_clip_thresholds(const nn::Network& network, const ClipTuningOptions& options);

}  // namespace weightfault::sim

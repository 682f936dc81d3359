// `weightfault train`: the training loop around TrainingEngine -- seeded
// shuffling, Adam or SGD with momentum, weight decay, a learning-rate
// schedule, per-epoch validation on the calibration split and a checkpoint
// (the model file, rewritten after every epoch), a progress line, and the
// training record (command, seed, settings, curves) stored in the model file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "nn/model_definition.h"

namespace weightfault::nn {

struct TrainOptions {
  std::filesystem::path output;
  std::filesystem::path data_root = "data";
  std::string command;             // recorded in the model file
  bool progress = false;           // progress line on stderr
  std::size_t limit = 0;           // train on the first `limit` images only (0 = all)
  const Network* start = nullptr;  // adaptation: start from these weights
};

struct TrainReport {
  std::vector<double> loss, train_accuracy, validation_accuracy, learning_rate;
  double test_accuracy = 0.0;
  std::vector<double> submodel_test_accuracy;  // per network.submodels entry
  double seconds = 0.0;
};

// The effective network: kernels replaced by f(raw) when a weight transform is set.
Network effective_network(const Network& raw, const std::string& weight_transform);

TrainReport train_model(ModelDefinition& def, const TrainOptions& options);

}  // namespace weightfault::nn

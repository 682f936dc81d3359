// Model-definition files for `weightfault train` (docs/training.md): a TOML
// file naming the architecture -- layers and their wiring -- and the training
// settings. Loading validates every key strictly (file:line:col: key: rule)
// and initializes the weights from the seed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "nn/network.h"

namespace weightfault::nn {

struct TrainingSettings {
  std::string dataset = "mnist";
  std::size_t epochs = 10;
  std::size_t batch = 64;
  std::string optimizer = "adam";  // adam (decoupled weight decay) or sgd (momentum, L2)
  double learning_rate = 1e-3;
  double momentum = 0.9;  // sgd
  double beta1 = 0.9, beta2 = 0.999;
  double weight_decay = 0.0;
  std::string schedule = "cosine";  // constant, step, cosine
  std::size_t step_epochs = 5;      // step: multiply by step_gamma every step_epochs
  double step_gamma = 0.1;
  std::uint64_t seed = 1;
  int threads = 1;
  std::string weight_transform = "none";  // SAF on every conv/dense kernel: tanh, arctan, ...
  double base_loss_weight = 1.0;          // with sub-models: the base model's share of the loss
};

struct ModelDefinition {
  std::string file;
  std::string text;
  Network network;  // finalized, weights initialized from settings.seed (and its sub-models)
  TrainingSettings settings;
  std::vector<double> submodel_loss_weights;  // per network.submodels entry
};

// Throws InputError listing every problem of the file. `seed` overrides training.seed
// (which also seeds the initial weights).
ModelDefinition load_model_definition(const std::filesystem::path& path,
                                      std::optional<std::uint64_t> seed = std::nullopt);

}  // namespace weightfault::nn

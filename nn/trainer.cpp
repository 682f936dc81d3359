#include "nn/trainer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <numeric>

#include "common/input_error.h"
#include "common/split_mix.h"
#include "common/weight_transform.h"
#include "nn/dataset.h"
#include "nn/evaluation.h"
#include "nn/inference_engine.h"
#include "nn/model_file.h"
#include "nn/submodel.h"
#include "nn/training_engine.h"

namespace weightfault::nn {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Adam with decoupled weight decay (AdamW), or SGD with momentum and L2 decay.
class Optimizer {
 public:
  Optimizer(const TrainingSettings& s, const std::vector<TrainableTensor>& tensors) : s_(s) {
    for (const auto& t : tensors) {
      first_.emplace_back(t.values.size(), 0.0f);
      second_.emplace_back(s.optimizer == "adam" ? t.values.size() : 0, 0.0f);
    }
  }

  // `gradients[k]` is the gradient of tensors[k].
  void step(std::vector<TrainableTensor>& tensors,
            const std::vector<std::span<const float>>& gradients, double lr) {
    ++t_;
    const double b1 = s_.beta1, b2 = s_.beta2;
    const double c1 = 1.0 - std::pow(b1, static_cast<double>(t_));
    const double c2 = 1.0 - std::pow(b2, static_cast<double>(t_));
    for (std::size_t k = 0; k < tensors.size(); ++k) {
      auto& t = tensors[k];
      auto& m = first_[k];
      const double decay = t.decays ? s_.weight_decay : 0.0;
      for (std::size_t i = 0; i < t.values.size(); ++i) {
        const double w = t.values[i];
        if (s_.optimizer == "adam") {
          const double g = gradients[k][i];
          auto& v = second_[k][i];
          m[i] = static_cast<float>(b1 * m[i] + (1 - b1) * g);
          v = static_cast<float>(b2 * v + (1 - b2) * g * g);
          const double update = (m[i] / c1) / (std::sqrt(v / c2) + 1e-8) + decay * w;
          t.values[i] = static_cast<float>(w - lr * update);
        } else {
          const double g = gradients[k][i] + decay * w;
          m[i] = static_cast<float>(s_.momentum * m[i] - lr * g);
          t.values[i] = static_cast<float>(w + m[i]);
        }
      }
    }
  }

 private:
  const TrainingSettings& s_;
  std::vector<std::vector<float>> first_, second_;
  std::uint64_t t_ = 0;
};

double learning_rate(const TrainingSettings& s, std::size_t epoch) {
  if (s.schedule == "step")
    return s.learning_rate * std::pow(s.step_gamma, static_cast<double>(epoch / s.step_epochs));
  if (s.schedule == "cosine") {
    return 0.5 * s.learning_rate *
           (1.0 +
            std::cos(std::acos(-1.0) * static_cast<double>(epoch) / static_cast<double>(s.epochs)));
  }
  return s.learning_rate;
}

double accuracy_of(const Network& raw, const std::string& transform, const Dataset& data,
                   int threads) {
  const Network net = effective_network(raw, transform);
  InferenceEngine engine(net, {.threads = threads, .batch = 500, .fuse_activations = true});
  const auto metrics = evaluate(engine, data);
  return static_cast<double>(metrics.correct) / static_cast<double>(metrics.total);
}

}  // namespace

Network effective_network(const Network& raw, const std::string& weight_transform) {
  const WeightTransform* f = find_weight_transform(weight_transform);
  if (f == nullptr) return raw;
  Network net = raw;
  for (std::size_t i = 0; i < net.size(); ++i) {
    auto& layer = net.mutable_layer(i);
    if (!layer.has_weights()) continue;
    for (auto& v : layer.params.at("kernel").values) v = f->apply(v);
  }
  net.weight_transform = "none";
  return net;
}

namespace {

// Adaptation: the architecture must match; take every weight of the start model.
void take_weights(Network& net, const Network& start) {
  for (std::size_t i = 0; i < net.size(); ++i) {
    auto& layer = net.mutable_layer(i);
    const std::size_t j = start.index_of(layer.name);
    for (auto& [role, tensor] : layer.params) {
      const auto& from = start.layer(j).params;
      if (!from.count(role) || from.at(role).dims != tensor.dims) {
        throw InputError(
            fmt::format("--from: layer '{}' weight '{}' does not match the "
                        "definition",
                        layer.name, role));
      }
      tensor.values = from.at(role).values;
    }
  }
}

// Sub-models (Fuengfusin & Tamukoh 2020): each is its own network and engine,
// forward- and back-propagated separately on the same batch. Their parameters
// are copies of the base model's, refreshed before every batch; the update is
// the loss-weighted mean of all models' gradients, applied once, so every copy
// stays identical (with two models and equal weights this is the paper's pair
// averaging).
struct SubEngine {
  std::unique_ptr<Network> network;
  std::unique_ptr<TrainingEngine> engine;
  std::vector<std::size_t> base_tensor;  // per trainable: index among the base's trainables
  double weight = 1.0;
};

std::vector<SubEngine> make_sub_engines(const ModelDefinition& def, TrainingEngine& engine,
                                        const WeightTransform* transform) {
  const TrainingSettings& s = def.settings;
  const Network& net = def.network;
  std::vector<SubEngine> subs;
  for (std::size_t k = 0; k < net.submodels.size(); ++k) {
    SubEngine sub;
    sub.network = std::make_unique<Network>(without_layers(net, net.submodels[k].drop));
    sub.engine = std::make_unique<TrainingEngine>(*sub.network, s.batch, s.threads);
    for (std::size_t i = 0; i < sub.network->size(); ++i) {
      if (sub.network->layer(i).has_weights()) sub.engine->set_transform(i, transform);
    }
    for (const auto& t : sub.engine->trainables()) {
      const auto& name = sub.network->layer(t.layer).name;
      const auto& base = engine.trainables();
      const auto it = std::find_if(base.begin(), base.end(), [&](const TrainableTensor& b) {
        return net.layer(b.layer).name == name && b.role == t.role;
      });
      sub.base_tensor.push_back(static_cast<std::size_t>(it - base.begin()));
    }
    sub.weight = k < def.submodel_loss_weights.size() ? def.submodel_loss_weights[k] : 1.0;
    subs.push_back(std::move(sub));
  }
  return subs;
}

// Backward pass of one batch (forward already run on the base engine); with sub-models,
// fills `combined` with the loss-weighted mean gradient. Returns the batch's loss.
double backward_all(const TrainingSettings& s, TrainingEngine& engine, std::vector<SubEngine>& subs,
                    std::vector<std::vector<float>>& combined, const std::vector<float>& inputs,
                    const std::vector<std::int32_t>& labels) {
  if (subs.empty()) return engine.backward(labels);
  double weight_sum = s.base_loss_weight;
  for (const auto& sub : subs) weight_sum += sub.weight;
  double loss = s.base_loss_weight * engine.backward(labels);
  auto& base = engine.trainables();
  for (std::size_t k = 0; k < base.size(); ++k) {
    for (std::size_t i = 0; i < combined[k].size(); ++i)
      combined[k][i] = static_cast<float>(s.base_loss_weight * base[k].gradient[i]);
  }
  for (auto& sub : subs) {
    auto& tensors = sub.engine->trainables();
    for (std::size_t k = 0; k < tensors.size(); ++k) {
      const auto& from = base[sub.base_tensor[k]].values;
      std::copy(from.begin(), from.end(), tensors[k].values.begin());
    }
    (void)sub.engine->forward(inputs);
    loss += sub.weight * sub.engine->backward(labels);
    for (std::size_t k = 0; k < tensors.size(); ++k) {
      auto& into = combined[sub.base_tensor[k]];
      for (std::size_t i = 0; i < into.size(); ++i)
        into[i] += static_cast<float>(sub.weight * tensors[k].gradient[i]);
    }
  }
  for (auto& g : combined) {
    for (auto& v : g) v = static_cast<float>(v / weight_sum);
  }
  return loss / weight_sum;
}

// One epoch: shuffle (seeded per epoch), then forward, backward over every model and one
// optimizer step per batch; the remainder of the training set is left out (reshuffled).
struct EpochRunner {
  const TrainingSettings& s;
  const Network& net;
  const Dataset& train;
  TrainingEngine& engine;
  std::vector<SubEngine>& subs;
  std::vector<std::vector<float>>& combined;
  std::vector<std::span<const float>>& gradients;
  Optimizer& optimizer;
  bool tty;
  std::vector<float> inputs = std::vector<float>(s.batch * train.image_size());
  std::vector<std::int32_t> labels = std::vector<std::int32_t>(s.batch);
  std::vector<std::size_t> order = std::vector<std::size_t>(train.size());

  std::size_t batches() const { return train.size() / s.batch; }

  void fill_batch(std::size_t b) {
    const std::size_t per_sample = train.image_size();
    for (std::size_t j = 0; j < s.batch; ++j) {
      const std::size_t n = order[b * s.batch + j];
      const auto image = train.image(n);
      for (std::size_t p = 0; p < per_sample; ++p)
        inputs[j * per_sample + p] =
            net.normalization.apply(static_cast<float>(image[p]), p, per_sample);
      labels[j] = train.labels[n];
    }
  }

  // (sum of batch losses, correct training predictions)
  std::pair<double, std::size_t> run(std::size_t epoch, double lr) {
    std::iota(order.begin(), order.end(), std::size_t{0});
    SplitMix64 shuffle(stream_seed({s.seed, 0x73687566, epoch}));  // "shuf"
    for (std::size_t k = order.size() - 1; k > 0; --k)
      std::swap(order[k], order[shuffle.next() % (k + 1)]);
    double loss_sum = 0.0;
    std::size_t correct = 0;
    auto last_print = Clock::now();
    for (std::size_t b = 0; b < batches(); ++b) {
      fill_batch(b);
      const auto logits = engine.forward(inputs);
      const std::size_t classes = logits.size() / s.batch;
      for (std::size_t j = 0; j < s.batch; ++j) {
        const auto* z = logits.data() + j * classes;
        if (static_cast<std::int32_t>(std::max_element(z, z + classes) - z) == labels[j]) ++correct;
      }
      loss_sum += backward_all(s, engine, subs, combined, inputs, labels);
      optimizer.step(engine.trainables(), gradients, lr);
      if (tty && seconds_since(last_print) > 0.5) {
        last_print = Clock::now();
        std::fprintf(stderr, "\repoch %zu/%zu  batch %zu/%zu  loss %.4f  acc %.2f %%  lr %.2g   ",
                     epoch + 1, s.epochs, b + 1, batches(), loss_sum / static_cast<double>(b + 1),
                     100.0 * static_cast<double>(correct) / static_cast<double>((b + 1) * s.batch),
                     lr);
      }
    }
    return {loss_sum, correct};
  }
};

// The training record stored in the model file after each epoch (docs/model-format.md).
nlohmann::json training_record(const ModelDefinition& def, const TrainOptions& options,
                               const TrainReport& report, std::size_t epochs_done) {
  const TrainingSettings& s = def.settings;
  return {{"command", options.command},
          {"definition_file", def.file},
          {"definition", def.text},
          {"seed", s.seed},
          {"dataset", s.dataset},
          {"epochs_done", epochs_done},
          {"epochs", s.epochs},
          {"batch", s.batch},
          {"optimizer", s.optimizer},
          {"learning_rate", s.learning_rate},
          {"schedule", s.schedule},
          {"weight_decay", s.weight_decay},
          {"weight_transform", s.weight_transform},
          {"threads", s.threads},
          {"started_from", options.start ? options.start->name : ""},
          {"loss", report.loss},
          {"train_accuracy", report.train_accuracy},
          {"validation_accuracy", report.validation_accuracy},
          {"learning_rates", report.learning_rate},
          {"seconds", report.seconds}};
}

// The sub-models' part of the record; after the last epoch with their test accuracies.
nlohmann::json submodel_record(const ModelDefinition& def, const std::vector<SubEngine>& subs,
                               const Dataset* test, TrainReport& report) {
  const Network& net = def.network;
  const TrainingSettings& s = def.settings;
  nlohmann::json list = nlohmann::json::array();
  for (std::size_t k = 0; k < net.submodels.size(); ++k) {
    nlohmann::json entry{{"name", net.submodels[k].name},
                         {"drop", net.submodels[k].drop},
                         {"loss_weight", subs[k].weight}};
    if (test != nullptr) {
      const double acc = accuracy_of(without_layers(net, net.submodels[k].drop), s.weight_transform,
                                     *test, s.threads);
      entry["test_accuracy"] = acc;
      report.submodel_test_accuracy.push_back(acc);
    }
    list.push_back(entry);
  }
  return list;
}

}  // namespace

TrainReport train_model(ModelDefinition& def, const TrainOptions& options) {
  const TrainingSettings& s = def.settings;
  const auto start = Clock::now();
  Network& net = def.network;
  if (options.start != nullptr) take_weights(net, *options.start);
  net.weight_transform = s.weight_transform;
  const Dataset train = load_dataset(options.data_root, s.dataset, "train", options.limit);
  const Dataset validation = load_dataset(options.data_root, s.dataset, "calibration");
  const Dataset test = load_dataset(options.data_root, s.dataset, "test");
  if (train.size() < s.batch)
    throw InputError(
        fmt::format("{} training images, fewer than one batch of {}", train.size(), s.batch));
  TrainingEngine engine(net, s.batch, s.threads);
  const WeightTransform* transform = find_weight_transform(s.weight_transform);
  for (std::size_t i = 0; i < net.size(); ++i) {
    if (net.layer(i).has_weights()) engine.set_transform(i, transform);
  }
  auto subs = make_sub_engines(def, engine, transform);
  std::vector<std::vector<float>> combined;  // loss-weighted mean gradient per base trainable
  std::vector<std::span<const float>> gradients;
  for (const auto& t : engine.trainables()) {
    if (subs.empty()) {
      gradients.push_back(t.gradient);
    } else {
      combined.emplace_back(t.values.size(), 0.0f);
      gradients.emplace_back(combined.back());
    }
  }
  Optimizer optimizer(s, engine.trainables());
  TrainReport report;
  EpochRunner runner{s,         net,       train,
                     engine,    subs,      combined,
                     gradients, optimizer, options.progress && isatty(fileno(stderr))};
  for (std::size_t epoch = 0; epoch < s.epochs; ++epoch) {
    const double lr = learning_rate(s, epoch);
    const auto [loss_sum, correct] = runner.run(epoch, lr);
    const std::size_t batches = runner.batches();
    const bool tty = runner.tty;
    engine.write_to(net);
    report.loss.push_back(loss_sum / static_cast<double>(batches));
    report.train_accuracy.push_back(static_cast<double>(correct) /
                                    static_cast<double>(batches * s.batch));
    report.learning_rate.push_back(lr);
    report.validation_accuracy.push_back(
        accuracy_of(net, s.weight_transform, validation, s.threads));
    if (options.progress) {
      std::fprintf(stderr,
                   "%sepoch %zu/%zu  loss %.4f  train %.2f %%  validation %.2f %%  (%.0f s)\n",
                   tty ? "\r" : "", epoch + 1, s.epochs, report.loss.back(),
                   100.0 * report.train_accuracy.back(), 100.0 * report.validation_accuracy.back(),
                   seconds_since(start));
    }
    report.seconds = seconds_since(start);
    // Checkpoint: the model file as it is after this epoch, with the record so far.
    const bool last = epoch + 1 == s.epochs;
    auto record = training_record(def, options, report, epoch + 1);
    if (last) {
      report.test_accuracy = accuracy_of(net, s.weight_transform, test, s.threads);
      record["test_accuracy"] = report.test_accuracy;
    }
    if (!net.submodels.empty()) {
      record["base_loss_weight"] = s.base_loss_weight;
      record["submodels"] = submodel_record(def, subs, last ? &test : nullptr, report);
    }
    net.training = record.dump();
    net.source = "weightfault train " + def.file;
    save_model(net, options.output);
  }
  return report;
}

}  // namespace weightfault::nn

#include "nn/evaluation.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/input_error.h"

namespace weightfault::nn {

void load_batch(InferenceEngine& engine, const Dataset& data, std::size_t first,
                std::size_t count) {
  const std::size_t n = data.image_size();
  if (data.is_float())
    engine.load_inputs(std::span<const float>(data.features.data() + first * n, count * n), count);
  else
    engine.load_inputs(std::span<const std::uint8_t>(data.pixels.data() + first * n, count * n),
                       count);
}

namespace {

void check_fits(const InferenceEngine& engine, const Dataset& data) {
  const Network& net = engine.network();
  const Shape& input = net.output_shape(net.input_layer());
  const Shape image{data.channels, data.height, data.width};
  std::int64_t volume = 1;
  for (auto d : input) volume *= d;
  // A user's file may give the per-sample axes in another grouping ([784] for [1, 28, 28]).
  const bool fits = data.split == "file" ? volume == static_cast<std::int64_t>(data.image_size())
                                         : input == image;
  if (!fits) {
    throw InputError(fmt::format("dataset '{}' has images {} but model '{}' expects {}", data.name,
                                 shape_to_string(image), net.name, shape_to_string(input)));
  }
  if (data.num_classes != 0 && static_cast<std::size_t>(data.num_classes) != net.num_classes()) {
    throw InputError(fmt::format("dataset '{}' has {} classes but model '{}' outputs {}", data.name,
                                 data.num_classes, net.name, net.num_classes()));
  }
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data.labels[i] >= net.num_classes()) {
      throw InputError(
          fmt::format("dataset '{}': label {} of sample {} but model '{}' has {} classes",
                      data.name, data.labels[i], i, net.name, net.num_classes()));
    }
  }
}

// Runs every batch; `before_run(batch_index)` may load state, `after_run` may save it.
template <typename Before, typename After>
Metrics run_batches(InferenceEngine& engine, const Dataset& data, std::size_t stage,
                    Before before_run, After after_run) {
  check_fits(engine, data);
  Metrics metrics(engine.network().num_classes());
  std::vector<float> logits;
  std::size_t index = 0;
  for (std::size_t first = 0; first < data.size(); first += engine.batch_size(), ++index) {
    const std::size_t count = std::min(engine.batch_size(), data.size() - first);
    if (stage == 0) load_batch(engine, data, first, count);
    before_run(index);
    engine.run_from(stage);
    after_run(index);
    engine.read_logits(count, logits);
    metrics.add(logits, {data.labels.data() + first, count});
  }
  return metrics;
}

std::size_t batches_of(const InferenceEngine& engine, const Dataset& data) {
  return (data.size() + engine.batch_size() - 1) / engine.batch_size();
}

}  // namespace

Metrics evaluate(InferenceEngine& engine, const Dataset& data) {
  return run_batches(
      engine, data, 0, [](std::size_t) {}, [](std::size_t) {});
}

std::size_t ResumeCache::bytes() const {
  std::size_t total = 0;
  for (const auto& d : data) total += d.size();
  return total;
}

ResumeCache record_resume_cache(InferenceEngine& engine, const Dataset& data,
                                std::span<const std::size_t> layers, std::size_t budget_bytes,
                                DenseTail* tail) {
  std::vector<std::size_t> candidates;
  for (const auto layer : layers) {
    const std::size_t stage = engine.stage_of(layer);
    if (stage > 0) candidates.push_back(stage);  // stage 0 is a full run anyway
  }
  std::sort(candidates.rbegin(), candidates.rend());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  ResumeCache cache;
  const std::size_t batches = batches_of(engine, data);
  std::size_t used = 0;
  for (const auto stage : candidates) {
    const std::size_t bytes = engine.boundary_bytes(stage) * batches;
    if (used + bytes > budget_bytes) continue;
    used += bytes;
    cache.stages.push_back(stage);
  }
  std::sort(cache.stages.begin(), cache.stages.end());
  for (const auto stage : cache.stages) {
    cache.bytes_per_batch.push_back(engine.boundary_bytes(stage));
    cache.data.emplace_back(engine.boundary_bytes(stage) * batches);
  }
  if (tail != nullptr) tail->start(data.size());
  cache.metrics = run_batches(
      engine, data, 0, [](std::size_t) {},
      [&](std::size_t batch) {
        if (tail != nullptr) {
          const std::size_t first = batch * engine.batch_size();
          tail->record_batch(engine, first, std::min(engine.batch_size(), data.size() - first),
                             data.labels);
        }
        for (std::size_t k = 0; k < cache.stages.size(); ++k) {
          const std::size_t size = cache.bytes_per_batch[k];
          engine.save_boundary(cache.stages[k],
                               std::span<std::uint8_t>(cache.data[k]).subspan(batch * size, size));
        }
      });
  return cache;
}

Metrics evaluate_from(InferenceEngine& engine, const Dataset& data, const ResumeCache& cache,
                      std::size_t first_changed_layer) {
  const std::size_t wanted = engine.stage_of(first_changed_layer);
  std::size_t k = cache.stages.size();
  while (k > 0 && cache.stages[k - 1] > wanted) --k;
  if (k == 0) return evaluate(engine, data);
  --k;
  const std::size_t size = cache.bytes_per_batch[k];
  if (size != engine.boundary_bytes(cache.stages[k])) {
    throw std::logic_error("resume cache recorded by an engine with other layouts");
  }
  return run_batches(
      engine, data, cache.stages[k],
      [&](std::size_t batch) {
        engine.load_boundary(
            cache.stages[k],
            std::span<const std::uint8_t>(cache.data[k]).subspan(batch * size, size));
      },
      [](std::size_t) {});
}

}  // namespace weightfault::nn

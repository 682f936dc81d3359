// Evaluation of an engine over a dataset, batch by batch -- in full, or
// starting at a later layer from recorded activations (the hot path of a
// fault campaign: a fault in the last layers re-runs only those layers).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/large_buffer.h"
#include "nn/dataset.h"
#include "nn/dense_tail.h"
#include "nn/inference_engine.h"
#include "nn/metrics.h"

namespace weightfault::nn {

// Throws InputError if the dataset's images do not fit the network's input.
Metrics evaluate(InferenceEngine& engine, const Dataset& data);

// Loads samples [first, first + count) of `data` into the engine's input (pixels or floats,
// both through the network's input normalization).
void load_batch(InferenceEngine& engine, const Dataset& data, std::size_t first, std::size_t count);

// The activations entering chosen stages for every batch of a dataset,
// recorded from one full evaluation with the engine's current weights.
// Immutable once recorded; usable by any engine built from the same network
// and options (same layouts), so trial workers share one.
struct ResumeCache {
  std::vector<std::size_t> stages;              // ascending
  std::vector<std::size_t> bytes_per_batch;     // per stage
  std::vector<LargeBuffer<std::uint8_t>> data;  // per stage: all batches back to back
  Metrics metrics;                              // of the recorded (full) evaluation
  std::size_t bytes() const;
};

// Records the stages of `layers` whose activations fit in `budget_bytes`,
// preferring the latest stages (they serve the most trials for the least memory).
// With `tail` (planned, nn/dense_tail.h), the same pass records its activations too.
ResumeCache record_resume_cache(InferenceEngine& engine, const Dataset& data,
                                std::span<const std::size_t> layers, std::size_t budget_bytes,
                                DenseTail* tail = nullptr);

// Evaluates with the layers before `first_changed_layer` unchanged since the
// cache was recorded: starts at the latest cached stage not after that layer's
// stage. Bit-identical to evaluate().
Metrics evaluate_from(InferenceEngine& engine, const Dataset& data, const ResumeCache& cache,
                      std::size_t first_changed_layer);

}  // namespace weightfault::nn

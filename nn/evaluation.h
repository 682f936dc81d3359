// Evaluation of an engine over a dataset, batch by batch.
#pragma once

#include "nn/dataset.h"
#include "nn/inference_engine.h"
#include "nn/metrics.h"

namespace weightfault::nn {

// Throws InputError if the dataset's images do not fit the network's input.
Metrics evaluate(InferenceEngine& engine, const Dataset& data);

}  // namespace weightfault::nn

#include "nn/evaluation.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/input_error.h"

namespace weightfault::nn {

Metrics evaluate(InferenceEngine& engine, const Dataset& data) {
  const Network& net = engine.network();
  const Shape& input = net.output_shape(net.input_layer());
  const Shape image{data.channels, data.height, data.width};
  if (input != image) {
    throw InputError(fmt::format("dataset '{}' has images {} but model '{}' expects {}", data.name,
                                 shape_to_string(image), net.name, shape_to_string(input)));
  }
  if (static_cast<std::size_t>(data.num_classes) != net.num_classes()) {
    throw InputError(fmt::format("dataset '{}' has {} classes but model '{}' outputs {}", data.name,
                                 data.num_classes, net.name, net.num_classes()));
  }
  Metrics metrics(net.num_classes());
  std::vector<float> logits;
  for (std::size_t first = 0; first < data.size(); first += engine.batch_size()) {
    const std::size_t count = std::min(engine.batch_size(), data.size() - first);
    engine.infer({data.pixels.data() + first * data.image_size(), count * data.image_size()}, count,
                 logits);
    metrics.add(logits, {data.labels.data() + first, count});
  }
  return metrics;
}

}  // namespace weightfault::nn

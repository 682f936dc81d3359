// What an op sees while a model definition's [[layer]] table is read
// (nn/model_definition.cpp, docs/training.md).
#pragma once

#include <fmt/format.h>

#include "common/split_mix.h"
#include "common/toml_reader.h"
#include "nn/layer.h"

namespace weightfault::nn {

struct DefinitionContext {
  TomlReader& reader;
  TomlReader::Table& table;  // the [[layer]] table: keys the op reads become known
  const toml::node& node;    // the table itself, for errors about the layer as a whole
  Layer& layer;
  const Shape& input;  // per-sample shape of the first input
  SplitMix64& init;    // initial weights, seeded by training.seed

  void bad_input(const char* want) const {
    reader.error(node.source(), table.path, fmt::format("needs {} input", want));
  }
};

// Helpers for ops' definitions.
Tensor zero_tensor(std::vector<std::int64_t> dims, float value = 0.0f);
// Uniform in [-limit, limit] (He/Glorot style initialisation).
void fill_uniform(Tensor& t, SplitMix64& rng, float limit);
// kernel/stride/padding keys of a spatial op: "kernel" (required), "stride" (default
// `default_stride`, or the kernel when empty), "padding" valid|same.
void read_window(DefinitionContext& ctx, bool stride_defaults_to_kernel);
// Output size of a window over one spatial axis.
std::int64_t window_output(const Layer& layer, std::int64_t in, int axis);

}  // namespace weightfault::nn

#include "sim/clip_tuning.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>

#include "common/input_error.h"
#include "common/split_mix.h"
#include "memory_models/fault_model.h"
#include "nn/dataset.h"
#include "nn/evaluation.h"
#include "nn/inference_engine.h"
#include "sim/network_storage.h"

namespace weightfault::sim {
namespace {

// Faulted fp32 weights of one draw: every stored tensor as (layer, role, values).
struct FaultedTensor {
  std::size_t layer;
  std::string role;
  std::vector<float> values;
};
using FaultedWeights = std::vector<FaultedTensor>;

std::vector<FaultedWeights> draw_faulted_weights(const nn::Network& net,
                                                 const ClipTuningOptions& o) {
  const memory::AddressMapping mapping(memory::Geometry{}, "RoBaRaCoCh");
  const auto image =
      store_network(net, storage::ProtectionSpec{}, {storage::dtype_named("fp32"), {}, false},
                    memory::PlacementPolicy::packed, mapping);
  std::vector<FaultedWeights> out;
  for (std::size_t b = 0; b < o.bers.size(); ++b) {
    ParamValues params;
    params.set("ber", o.bers[b]);
    memory::FaultModelRegistry registry;
    memory::register_builtin_fault_models(registry);
    const auto model = registry.find("uniform_ber")->create(params);
    for (int d = 0; d < o.draws; ++d) {
      memory::Rng rng(
          stream_seed({o.seed, b, static_cast<std::uint64_t>(d), 0, 0x636c6970}));  // "clip"
      memory::FaultMap map;
      model->generate({mapping, image.placement().extent_bits(), 0.0, 0.0, 0}, rng, map);
      auto bytes = image.golden_bytes();
      map.apply(0.0, mapping, image.placement(), bytes);
      FaultedWeights w;
      for (std::size_t t = 0; t < image.tensors().size(); ++t) {
        const auto& st = image.tensors()[t];
        std::vector<float> values(st.elements);
        for (std::size_t g = 0; g < st.groups(); ++g) image.decode_group(t, g, bytes, values);
        w.push_back({net.index_of(st.owner), st.role, std::move(values)});
      }
      out.push_back(std::move(w));
    }
  }
  return out;
}

}  // namespace

ClipTuningResult tune_clip_thresholds(const nn::Network& network, const ClipTuningOptions& o) {
  // The calibration split only: thresholds must never see the test images.
  const auto data = nn::load_dataset(o.data_root, o.dataset, "calibration", o.images);
  std::vector<std::size_t> relus;
  for (const auto i : network.topological_order()) {
    if (network.layer(i).op == "relu") relus.push_back(i);
  }
  if (relus.empty())
    throw InputError(fmt::format("model '{}' has no relu layers to clip", network.name));

  ClipTuningResult result;
  // 1. Maximum activation of every ReLU over the calibration images.
  {
    nn::InferenceEngine engine(network,
                               {.threads = o.threads, .batch = o.batch, .fuse_activations = false});
    std::vector<float> max(relus.size(), 0.0f), logits;
    nn::Metrics clean(network.num_classes());
    for (std::size_t first = 0; first < data.size(); first += o.batch) {
      const std::size_t count = std::min(o.batch, data.size() - first);
      nn::load_batch(engine, data, first, count);
      engine.run_from(0);
      engine.read_logits(count, logits);
      clean.add(logits, {data.labels.data() + first, count});
      for (std::size_t r = 0; r < relus.size(); ++r) {
        const auto out = engine.layer_output(relus[r]);
        const std::size_t used =
            out.size() / o.batch * count;  // rows of the padded batch are not data
        for (std::size_t k = 0; k < used; ++k) max[r] = std::max(max[r], out[k]);
      }
    }
    result.clean_unclipped = clean.top1();
    for (std::size_t r = 0; r < relus.size(); ++r) {
      result.layers.push_back({network.layer(relus[r]).name, max[r], max[r]});
    }
  }

  // 2. Greedy search over fractions of the maximum, one layer at a time.
  const auto draws = draw_faulted_weights(network, o);
  const auto objective = [&](const std::vector<float>* thresholds, double* clean_accuracy) {
    nn::Network candidate = network;
    if (thresholds != nullptr) {
      for (std::size_t r = 0; r < relus.size(); ++r)
        candidate.mutable_layer(relus[r]).clip_threshold = (*thresholds)[r];
      candidate = nn::with_clipped_relus(candidate);
    }
    nn::InferenceEngine engine(candidate, {.threads = o.threads, .batch = o.batch});
    if (clean_accuracy != nullptr) *clean_accuracy = nn::evaluate(engine, data).top1();
    double sum = 0.0;
    for (const auto& w : draws) {
      for (const auto& t : w) engine.set_param(t.layer, t.role, t.values);
      sum += nn::evaluate(engine, data).top1();
    }
    return sum / static_cast<double>(draws.size());
  };
  result.objective_unclipped = objective(nullptr, nullptr);
  std::vector<float> best(relus.size());
  for (std::size_t r = 0; r < relus.size(); ++r) best[r] = result.layers[r].max_activation;
  double best_objective = objective(&best, nullptr);
  for (std::size_t r = 0; r < relus.size(); ++r) {
    for (const double f : o.fractions) {
      auto trial = best;
      trial[r] = static_cast<float>(result.layers[r].max_activation * f);
      if (trial[r] == best[r] || !(trial[r] > 0.0f)) continue;
      const double value = objective(&trial, nullptr);
      if (value > best_objective) {
        best_objective = value;
        best = trial;
      }
    }
  }
  for (std::size_t r = 0; r < relus.size(); ++r) result.layers[r].threshold = best[r];
  result.objective_tuned = objective(&best, &result.clean_tuned);
  result.record = fmt::format(
      "FT-ClipAct thresholds by weightfault tune-clip: max activation over the first {} images of "
      "{}/calibration, "
      "then greedy per-layer search over fractions [{}] maximizing mean accuracy under {} "
      "uniform_ber draws at BER "
      "[{}] (fp32, seed {})",
      data.size(), o.dataset, fmt::join(o.fractions, ", "), o.draws, fmt::join(o.bers, ", "),
      o.seed);
  return result;
}

}  // namespace weightfault::sim

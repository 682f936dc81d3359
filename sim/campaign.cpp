#include "sim/campaign.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "common/input_error.h"
#include "common/split_mix.h"
#include "nn/dataset.h"
#include "nn/evaluation.h"
#include "nn/inference_engine.h"
#include "nn/model_file.h"
#include "nn/submodel.h"
#include "sim/cluster.h"
#include "sim/network_storage.h"
#include "sim/results_file.h"
#include "sim/scrub.h"
#include "sim/summary_stats.h"
#include "storage/stored_image.h"

namespace weightfault::sim {
namespace {

using Clock = std::chrono::steady_clock;

using storage::StoredImage;

// A layer with stored weights and its tensors in every image (all images store the same
// tensors in the same order).
struct WeightedLayer {
  std::size_t layer = 0;                                     // index in the network
  std::vector<std::pair<std::string, std::size_t>> tensors;  // (role, tensor index)
};

// Immutable state shared by every worker.
struct Shared {
  const Scenario& scenario;
  nn::Network network;  // as loaded: the weights every image stores
  std::vector<nn::Network>
      variants;  // networks inference runs: [0] plain, [1] clipped ReLUs (clip_act)
  std::vector<std::size_t> variant_of_image;
  nn::Dataset data;
  memory::AddressMapping mapping;
  std::vector<StoredImage> images;  // [protection * dtypes + dtype]
  std::uint64_t extent_bits = 0;    // widest image: faults beyond it touch nothing
  std::vector<std::vector<std::unique_ptr<memory::FaultModel>>> models;  // [point][model]
  std::vector<std::int64_t> reference_correct;                           // per image
  std::vector<nn::ResumeCache> caches;       // per image: golden activations to restart at a layer
  std::vector<nn::DenseTail> tails;          // per image: golden activations of the dense tail
  std::vector<std::size_t> weighted_layers;  // layer indices
  std::vector<WeightedLayer> layer_tensors;  // [slot]: parallel to weighted_layers
  std::vector<std::size_t> slot_of_tensor;   // tensor index -> slot
  std::vector<int> word_bits;                // per dtype: widest word over protections
  std::vector<storage::ProtectionSpec> protections;  // protections_for(scenario, network)
  // memory.target_layers: per image, per segment, whether faults may land there ([] = all).
  std::vector<std::vector<bool>> targeted_segments;
  bool full_eval = false;  // CampaignOptions::full_eval
  bool dense_tail = true;  // CampaignOptions::dense_tail
};

// Per-worker mutable state: an engine and working copies, restored after each trial.
class Worker {
 public:
  explicit Worker(const Shared& shared) : s_(shared) {
    for (const auto& image : s_.images) bytes_.push_back(image.golden_bytes());
    for (const auto& net : s_.variants) {
      engines_.push_back(std::make_unique<nn::InferenceEngine>(
          net, nn::EngineOptions{.threads = s_.scenario.engine_threads,
                                 .batch = s_.scenario.batch,
                                 .nan_policy = s_.scenario.nan_policy}));
    }
  }

  // Evaluates every (protection, dtype) image of one trial at every checkpoint;
  // one record each, checkpoints in time order.
  std::vector<TrialRecord> run(std::size_t point, std::size_t trial, std::size_t& evaluations) {
    const auto map =
        draw_fault_map(s_.scenario, s_.models[point], s_.mapping, s_.extent_bits, point, trial);
    std::vector<TrialRecord> out;
    const auto counts = faults_by_model_kind(map);
    for (std::size_t i = 0; i < s_.images.size(); ++i) {
      // Scrubs write back what a correcting code fixed: the map this image sees.
      const bool scrubs = s_.scenario.scrub_interval_s > 0.0 && s_.images[i].scrubs();
      std::optional<memory::FaultMap> scrubbed_map;
      if (scrubs)
        scrubbed_map = scrubbed(map, s_.images[i], s_.mapping, s_.scenario.scrub_interval_s);
      const memory::FaultMap& image_map = scrubbed_map ? *scrubbed_map : map;
      for (std::size_t t = 0; t < s_.scenario.checkpoints(); ++t) {
        out.push_back(run_image(image_map, point, trial, i, t, evaluations));
      }
    }
    if (!out.empty()) out.front().faults_by_model_kind = counts;
    return out;
  }

 private:
  // Faults of `map` active at each checkpoint, [T][model][kind].
  std::vector<std::int64_t> faults_by_model_kind(const memory::FaultMap& map) const {
    const std::size_t T = s_.scenario.checkpoints();
    const std::size_t M = std::max<std::size_t>(s_.scenario.fault_models.size(), 1);
    std::vector<std::int64_t> counts(T * M * 3, 0);
    const auto count = [&](std::uint16_t model, memory::FaultKind kind, double onset_s,
                           double clear_s) {
      for (std::size_t t = 0; t < T; ++t) {
        const double at = s_.scenario.checkpoints_s[t];
        if (onset_s <= at && at < clear_s && model < M)
          ++counts[(t * M + model) * 3 + static_cast<std::size_t>(kind)];
      }
    };
    for (const auto& f : map.bit_faults()) count(f.model, f.kind, f.onset_s, f.clear_s);
    for (const auto& r : map.records()) count(r.model, r.kind, r.onset_s, r.clear_s);
    for (const auto& f : map.logical_faults()) count(f.model, f.kind, 0.0, memory::kNever);
    return counts;
  }

  void load_image(std::size_t i) {
    if (loaded_ == i) return;
    engine_ = engines_[s_.variant_of_image[i]].get();
    const auto& image = s_.images[i];
    values_.clear();
    for (std::size_t t = 0; t < image.tensors().size(); ++t)
      values_.push_back(image.golden_values(t));
    for (std::size_t slot = 0; slot < s_.layer_tensors.size(); ++slot) push_layer(slot);
    loaded_ = i;
  }

  void push_layer(std::size_t slot) {
    const auto& l = s_.layer_tensors[slot];
    for (const auto& [role, t] : l.tensors) engine_->set_param(l.layer, role, values_[t]);
  }

  std::size_t layer_slot(std::size_t layer) const {
    return static_cast<std::size_t>(
        std::find(s_.weighted_layers.begin(), s_.weighted_layers.end(), layer) -
        s_.weighted_layers.begin());
  }

  using WordList = std::vector<std::pair<std::size_t, std::uint64_t>>;  // (segment, word)
  // This trial's weights that read differently from golden: (tensor, element).
  std::vector<std::pair<std::size_t, std::size_t>> changed_elements_;
  bool engine_dirty_ = false;  // the engine holds this trial's weights (restore puts golden back)
  // Per network variant: the dense tail's few-channel convolutions (nn/dense_tail.h).
  std::vector<std::optional<nn::DenseTail::Scratch>> tail_scratch_;    // built on first use
  using GroupList = std::vector<std::pair<std::size_t, std::size_t>>;  // (tensor, group)

  // One image at one checkpoint: apply the faults active then, decode what they touched,
  // evaluate from the first changed layer (or the sub-model layer_drop picks), restore.
  TrialRecord run_image(const memory::FaultMap& map, std::size_t point, std::size_t trial,
                        std::size_t i, std::size_t checkpoint, std::size_t& evaluations) {
    load_image(i);
    const StoredImage& image = s_.images[i];
    const std::size_t dtypes = s_.scenario.dtypes.size();
    TrialRecord rec;
    rec.point = point;
    rec.trial = trial;
    rec.protection = i / dtypes;
    rec.dtype = i % dtypes;
    rec.checkpoint = checkpoint;
    rec.weights_changed.assign(s_.weighted_layers.size(), 0);
    rec.flips_by_position.assign(static_cast<std::size_t>(s_.word_bits[rec.dtype]), 0);

    const auto applied = apply_faults(map, i, checkpoint);
    rec.faults_active = static_cast<std::int64_t>(applied.records_touching);
    const auto words = touched_words(image, applied.touched_bits);
    const auto groups = changed_groups(image, words, bytes_[i], rec);
    const auto drop = layers_to_drop(image, words, bytes_[i]);
    rec.layers_dropped.assign(s_.weighted_layers.size(), 0);
    for (const auto& name : drop) {
      const std::size_t layer = s_.network.index_of(name);
      if (s_.network.layer(layer).has_weights()) rec.layers_dropped[layer_slot(layer)] = 1;
    }
    const auto changed_slots = decode_groups(image, groups, bytes_[i], rec);
    rec.correct = evaluate_image(i, drop, changed_slots, evaluations);
    rec.accuracy = static_cast<double>(rec.correct) / static_cast<double>(s_.data.size());
    restore(i, applied.touched_bits, groups, drop, changed_slots);
    return rec;
  }

  // The memory of image i as it is at this checkpoint: every fault active then, applied to
  // the worker's copy of the golden bytes.
  memory::ApplyResult apply_faults(const memory::FaultMap& map, std::size_t i,
                                   std::size_t checkpoint) {
    const StoredImage& image = s_.images[i];
    const auto& golden = image.golden_bytes();
    auto& bytes = bytes_[i];
    auto applied =
        map.apply(s_.scenario.checkpoints_s[checkpoint], s_.mapping, image.placement(), bytes);
    if (!s_.targeted_segments.empty()) {
      // memory.target_layers: faults outside those layers' words do not happen in this study.
      // Segments are byte-aligned, so restoring a byte never touches a targeted bit.
      const auto& targeted = s_.targeted_segments[i];
      std::erase_if(applied.touched_bits, [&](std::uint64_t bit) {
        const auto at = image.placement().locate(bit);
        if (at && targeted[at->segment]) return false;
        bytes[bit / 8] = golden[bit / 8];
        return true;
      });
    }
    // Stages inside the devices (on-die ECC) correct what the devices read.
    const auto& protection = s_.protections[i / s_.scenario.dtypes.size()];
    for (const auto* stage : protection.stages) {
      if (stage->device_read) {
        stage->device_read(image, s_.mapping, map, s_.scenario.checkpoints_s[checkpoint],
                           protection.stage_params(*stage), bytes, applied.touched_bits);
      }
    }
    return applied;
  }

  // Stored words holding a touched bit, each once (several faults may hit one word).
  static WordList touched_words(const StoredImage& image,
                                const std::vector<std::uint64_t>& touched_bits) {
    WordList words;
    for (const auto bit : touched_bits) {
      if (const auto at = image.placement().locate(bit)) words.emplace_back(at->segment, at->word);
    }
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    return words;
  }

  // The decode groups of the words that differ from golden now; counts changed bits by
  // position in the word.
  static GroupList changed_groups(const StoredImage& image, const WordList& words,
                                  std::span<const std::uint8_t> bytes, TrialRecord& rec) {
    const auto& golden = image.golden_bytes();
    GroupList groups;
    for (const auto& [segment, word] : words) {
      const auto& seg = image.placement().segments()[segment];
      bool changed = false;
      for (std::uint32_t b = 0; b < seg.word_bits; ++b) {
        const std::uint64_t at = image.placement().image_bit(segment, word, b);
        if (((bytes[at / 8] ^ golden[at / 8]) >> (at % 8)) & 1u) {
          changed = true;
          ++rec.bits_changed;
          ++rec.flips_by_position[b];
        }
      }
      if (!changed) continue;
      const auto range = image.groups_of(segment, word);
      for (std::size_t g = range.first; g < range.last; ++g) groups.emplace_back(range.tensor, g);
    }
    std::sort(groups.begin(), groups.end());
    groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
    return groups;
  }

  // Decodes the groups into the working values; a layer changes when a decoded weight
  // differs from golden. Returns the changed layers' slots.
  std::vector<std::size_t> decode_groups(const StoredImage& image, const GroupList& groups,
                                         std::span<const std::uint8_t> bytes, TrialRecord& rec) {
    std::vector<std::size_t> changed_slots;
    for (const auto& [t, g] : groups) {
      storage::GroupRead read;
      image.decode_group(t, g, bytes, values_[t], &read);
      if (read.status == storage::ReadStatus::detected) {
        ++rec.codewords_detected;
      } else if (read.bits != image.golden_group_bits(t, g)) {
        ++rec.codewords_silent;
      } else if (read.status == storage::ReadStatus::corrected) {
        ++rec.codewords_corrected;
      }
      const auto& gold = image.golden_values(t);
      const auto [first, last] = image.tensors()[t].group_bounds(g);
      for (std::size_t e = first; e < last; ++e) {
        if (std::bit_cast<std::uint32_t>(values_[t][e]) != std::bit_cast<std::uint32_t>(gold[e])) {
          ++rec.weights_changed[s_.slot_of_tensor[t]];
          changed_slots.push_back(s_.slot_of_tensor[t]);
          changed_elements_.emplace_back(t, e);
        }
      }
    }
    std::sort(changed_slots.begin(), changed_slots.end());
    changed_slots.erase(std::unique(changed_slots.begin(), changed_slots.end()),
                        changed_slots.end());
    return changed_slots;
  }

  // Correct predictions of image i with the decoded weights.
  std::int64_t evaluate_image(std::size_t i, const std::vector<std::string>& drop,
                              const std::vector<std::size_t>& changed_slots,
                              std::size_t& evaluations) {
    if (!drop.empty()) {
      // layer_drop: a failed CRC check detaches the layer; the sub-model runs on what is read.
      auto& engine = drop_engine(s_.variant_of_image[i], drop);
      for (const auto& l : s_.layer_tensors) {
        const auto& name = s_.network.layer(l.layer).name;
        if (std::find(drop.begin(), drop.end(), name) != drop.end()) continue;
        for (const auto& [role, t] : l.tensors)
          engine.set_param(engine.network().index_of(name), role, values_[t]);
      }
      ++evaluations;
      return static_cast<std::int64_t>(nn::evaluate(engine, s_.data).correct);
    }
    if (changed_slots.empty()) return s_.reference_correct[i];  // every weight reads as golden
    if (!s_.full_eval) {
      if (const auto correct = from_dense_tail(i)) {
        ++evaluations;
        return static_cast<std::int64_t>(*correct);
      }
    }
    engine_dirty_ = true;
    if (s_.full_eval) {
      for (const auto slot : changed_slots) push_layer(slot);
      ++evaluations;
      return static_cast<std::int64_t>(nn::evaluate(*engine_, s_.data).correct);
    }
    std::size_t first_layer = s_.layer_tensors[changed_slots.front()].layer;
    for (const auto slot : changed_slots) {
      push_layer(slot);
      const std::size_t layer = s_.layer_tensors[slot].layer;
      if (engine_->stage_of(layer) < engine_->stage_of(first_layer)) first_layer = layer;
    }
    // Layers before the first changed one hold golden weights: start there.
    ++evaluations;
    return static_cast<std::int64_t>(
        nn::evaluate_from(*engine_, s_.data, s_.caches[i], first_layer).correct);
  }

  // Back to the golden state: bytes, decoded values, engine weights.
  void restore(std::size_t i, const std::vector<std::uint64_t>& touched_bits,
               const GroupList& groups, const std::vector<std::string>& drop,
               const std::vector<std::size_t>& changed_slots) {
    const StoredImage& image = s_.images[i];
    const auto& golden = image.golden_bytes();
    for (const auto bit : touched_bits) bytes_[i][bit / 8] = golden[bit / 8];
    for (const auto& [t, g] : groups) {
      const auto [first, last] = image.tensors()[t].group_bounds(g);
      std::copy(image.golden_values(t).begin() + static_cast<std::ptrdiff_t>(first),
                image.golden_values(t).begin() + static_cast<std::ptrdiff_t>(last),
                values_[t].begin() + static_cast<std::ptrdiff_t>(first));
    }
    if (drop.empty() && engine_dirty_) {
      for (const auto slot : changed_slots) push_layer(slot);  // a sub-model ran otherwise
    }
    engine_dirty_ = false;
    changed_elements_.clear();
  }

  // Correct predictions of image i from its dense tail (nn/dense_tail.h), when every
  // changed weight is a kernel or bias element of a tail layer and the tail can take them.
  std::optional<std::size_t> from_dense_tail(std::size_t i) {
    const auto& tail = s_.tails[i];
    if (tail.empty()) return std::nullopt;
    // One scratch per network variant: it holds no weights, so images share it.
    const std::size_t variant = s_.variant_of_image[i];
    if (tail_scratch_.size() != s_.variants.size()) tail_scratch_.resize(s_.variants.size());
    if (!tail_scratch_[variant])
      tail_scratch_[variant] = tail.make_scratch(s_.scenario.engine_threads);
    std::vector<nn::DenseTail::WeightChange> changes;
    changes.reserve(changed_elements_.size());
    for (const auto& element : changed_elements_) {
      const std::size_t t = element.first, e = element.second;  // (clang 14: no captured bindings)
      const auto& l = s_.layer_tensors[s_.slot_of_tensor[t]];
      if (!tail.covers(l.layer)) return std::nullopt;
      const auto role = std::find_if(l.tensors.begin(), l.tensors.end(),
                                     [&](const auto& rt) { return rt.second == t; });
      if (role == l.tensors.end() || (role->first != "kernel" && role->first != "bias"))
        return std::nullopt;
      changes.push_back(
          {l.layer, role->first == "bias", e, s_.images[i].golden_values(t)[e], values_[t][e]});
    }
    const auto current = [&](std::size_t layer, bool bias) -> std::span<const float> {
      const auto& l = s_.layer_tensors[layer_slot(layer)];
      for (const auto& [role, t] : l.tensors)
        if (role == (bias ? "bias" : "kernel")) return values_[t];
      return {};
    };
    return tail.correct_with(changes, current, s_.data.labels, nullptr, &*tail_scratch_[variant]);
  }

  // layer_drop: the layers (names) to detach because a CRC chunk of theirs fails now.
  std::vector<std::string> layers_to_drop(const StoredImage& image, const WordList& words,
                                          std::span<const std::uint8_t> bytes) const {
    if (!image.has_chunk_checks()) return {};
    std::vector<std::pair<std::size_t, std::size_t>> chunks;  // (tensor, chunk)
    for (const auto& [segment, word] : words) {
      const auto range = image.chunks_of(segment, word);
      for (std::size_t c = range.first; c < range.last; ++c) chunks.emplace_back(range.tensor, c);
    }
    std::sort(chunks.begin(), chunks.end());
    chunks.erase(std::unique(chunks.begin(), chunks.end()), chunks.end());
    std::vector<std::string> failed;
    for (const auto& [t, c] : chunks) {
      if (!image.chunk_intact(t, c, bytes)) failed.push_back(image.tensors()[t].owner);
    }
    if (failed.empty()) return {};
    std::sort(failed.begin(), failed.end());
    failed.erase(std::unique(failed.begin(), failed.end()), failed.end());
    return nn::drop_set_for(s_.network, failed);
  }

  // The engine of network variant `variant` without the layers `drop`, built on first use.
  nn::InferenceEngine& drop_engine(std::size_t variant, const std::vector<std::string>& drop) {
    auto& slot = drop_engines_[{variant, drop}];
    if (!slot.engine) {
      slot.network = std::make_unique<nn::Network>(nn::without_layers(s_.variants[variant], drop));
      slot.engine = std::make_unique<nn::InferenceEngine>(
          *slot.network, nn::EngineOptions{.threads = s_.scenario.engine_threads,
                                           .batch = s_.scenario.batch,
                                           .nan_policy = s_.scenario.nan_policy});
    }
    return *slot.engine;
  }

  struct DropEngine {
    std::unique_ptr<nn::Network> network;  // outlives its engine
    std::unique_ptr<nn::InferenceEngine> engine;
  };

  const Shared& s_;
  std::map<std::pair<std::size_t, std::vector<std::string>>, DropEngine> drop_engines_;
  std::vector<std::unique_ptr<nn::InferenceEngine>> engines_;  // per network variant
  nn::InferenceEngine* engine_ = nullptr;                      // of the loaded image
  std::vector<std::vector<std::uint8_t>> bytes_;  // per image, equal to golden between trials
  std::vector<std::vector<float>> values_;        // decoded tensors of the loaded image
  std::size_t loaded_ = SIZE_MAX;
};

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "?";
  const auto s = static_cast<long>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}h{:02}m", s / 3600, s / 60 % 60)
                   : fmt::format("{}m{:02}s", s / 60, s % 60);
}

}  // namespace

memory::FaultModelContext fault_context(const Scenario& scenario,
                                        const memory::AddressMapping& mapping,
                                        std::uint64_t extent_bits, std::size_t model,
                                        std::span<const double> write_times_s) {
  memory::FaultModelContext ctx{mapping, extent_bits, 0.0, scenario.checkpoints_s.back(),
                                static_cast<std::uint16_t>(model)};
  ctx.environment = &scenario.environment;
  ctx.write_times_s = write_times_s;
  ctx.checkpoints_s = scenario.checkpoints_s;
  ctx.refresh_interval_s = scenario.refresh_interval_s;
  return ctx;
}

std::vector<double> expected_active_faults(
    const Scenario& scenario, const std::vector<std::unique_ptr<memory::FaultModel>>& models,
    const memory::AddressMapping& mapping, std::uint64_t extent_bits) {
  const auto writes = scenario.write_times_s();
  std::vector<double> out;
  for (const double t : scenario.checkpoints_s) {
    for (std::size_t m = 0; m < models.size(); ++m) {
      out.push_back(
          models[m]->expected_active(fault_context(scenario, mapping, extent_bits, m, writes), t));
    }
  }
  return out;
}

memory::FaultMap draw_fault_map(const Scenario& scenario,
                                const std::vector<std::unique_ptr<memory::FaultModel>>& models,
                                const memory::AddressMapping& mapping, std::uint64_t extent_bits,
                                std::size_t point, std::size_t trial) {
  memory::FaultMap map;
  const auto writes = scenario.write_times_s();
  for (std::size_t m = 0; m < models.size(); ++m) {
    memory::Rng rng(stream_seed(
        {scenario.seed, point, trial, m, static_cast<std::uint64_t>(StreamPurpose::faults)}));
    models[m]->generate(fault_context(scenario, mapping, extent_bits, m, writes), rng, map);
  }
  // A rewrite restores the stored bits: a flip lasts until the first rewrite after
  // its onset; stuck-at cells stay stuck (timeline events are owned by sim/, docs/architecture.md).
  if (scenario.rewrite_interval_s > 0.0) {
    map.clear_flips_at_rewrites(scenario.rewrite_interval_s);
  }
  return map;
}

namespace {

// Layers with stored weights, in order, and which image tensors hold their kernel and bias.
void index_layers(Shared& shared) {
  for (const auto i : shared.network.topological_order()) {
    if (shared.network.layer(i).has_weights()) shared.weighted_layers.push_back(i);
  }
  const auto tensors = tensors_to_store(shared.network);
  shared.layer_tensors.resize(shared.weighted_layers.size());
  for (std::size_t t = 0; t < tensors.size(); ++t) {
    const std::size_t layer = shared.network.index_of(tensors[t].owner);
    const auto slot = static_cast<std::size_t>(
        std::find(shared.weighted_layers.begin(), shared.weighted_layers.end(), layer) -
        shared.weighted_layers.begin());
    shared.slot_of_tensor.push_back(slot);
    shared.layer_tensors[slot].layer = layer;
    shared.layer_tensors[slot].tensors.emplace_back(tensors[t].role, t);
  }
}

// The network variants inference runs and one stored image per (protection, dtype).
void build_images(Shared& shared) {
  const Scenario& sc = shared.scenario;
  shared.variants.push_back(shared.network);
  for (const auto& protection : shared.protections) {
    if (protection.has_effect(storage::NetworkEffect::clip_activations) &&
        shared.variants.size() == 1) {
      try {
        shared.variants.push_back(nn::with_clipped_relus(shared.network));
      } catch (const InputError& e) {
        throw InputError(
            fmt::format("{}: protection '{}': {}", sc.model_file, protection.name, e.what()));
      }
    }
  }
  shared.word_bits.assign(sc.dtypes.size(), 8);
  for (const auto& protection : shared.protections) {
    for (std::size_t d = 0; d < sc.dtypes.size(); ++d) {
      shared.variant_of_image.push_back(
          protection.has_effect(storage::NetworkEffect::clip_activations) ? 1 : 0);
      shared.images.push_back(
          store_network(shared.network, protection, sc.dtypes[d], sc.placement, shared.mapping));
      shared.extent_bits =
          std::max(shared.extent_bits, shared.images.back().placement().extent_bits());
      shared.word_bits[d] = std::max(shared.word_bits[d], shared.images.back().max_word_bits());
    }
  }
}

// memory.target_layers: per image, the segments faults may land in.
void mark_target_segments(Shared& shared) {
  const Scenario& sc = shared.scenario;
  if (sc.target_layers.empty()) return;
  std::vector<std::string> weighted;
  for (const auto i : shared.weighted_layers) weighted.push_back(shared.network.layer(i).name);
  for (const auto& name : sc.target_layers) {
    if (std::find(weighted.begin(), weighted.end(), name) == weighted.end()) {
      throw InputError(fmt::format(
          "{}: memory.target_layers: '{}' is not a layer with stored weights of model '{}' "
          "(valid: {})",
          sc.file, name, shared.network.name, fmt::join(weighted, ", ")));
    }
  }
  for (const auto& image : shared.images) {
    auto& targeted = shared.targeted_segments.emplace_back();
    for (std::size_t seg = 0; seg < image.placement().segments().size(); ++seg) {
      const auto t = image.tensor_of_segment(seg);
      targeted.push_back(t != SIZE_MAX &&
                         std::find(sc.target_layers.begin(), sc.target_layers.end(),
                                   image.tensors()[t].owner) != sc.target_layers.end());
    }
  }
}

void create_fault_models(Shared& shared) {
  const Scenario& sc = shared.scenario;
  for (std::size_t p = 0; p < sc.points(); ++p) {
    shared.models.emplace_back();
    for (std::size_t m = 0; m < sc.fault_models.size(); ++m) {
      shared.models.back().push_back(sc.fault_models[m].info->create(sc.params_at(m, p)));
    }
  }
}

ResultsLayout results_layout(const Shared& shared) {
  const Scenario& sc = shared.scenario;
  ResultsLayout layout;
  for (const auto& protection : shared.protections) {
    layout.protections.push_back(protection.name);
    layout.baseline.push_back(protection.is_baseline());
  }
  for (std::size_t d = 0; d < sc.dtypes.size(); ++d) layout.dtypes.push_back(sc.dtypes[d].label());
  layout.word_bits = shared.word_bits;
  for (const auto& image : shared.images) layout.bits_per_weight.push_back(image.bits_per_weight());
  for (const auto i : shared.weighted_layers) layout.layers.push_back(shared.network.layer(i).name);
  for (const auto& axis : sc.sweep) {
    std::string unit;
    for (const auto& fm : sc.fault_models) {
      for (const auto& d : fm.info->params) {
        if (d.key == axis.param) unit = d.unit;
      }
    }
    layout.sweep_units.push_back(unit);
  }
  layout.model_name = shared.network.name;
  layout.images = shared.data.size();
  for (const auto& fm : sc.fault_models) layout.fault_models.push_back(fm.info->name);
  return layout;
}

// What depends on the seed only: expected fault counts and the saved trials' fault maps.
void write_seed_data(const Shared& shared, ResultsWriter& writer) {
  const Scenario& sc = shared.scenario;
  for (std::size_t p = 0; p < sc.points(); ++p) {
    writer.write_expected_faults(
        p, expected_active_faults(sc, shared.models[p], shared.mapping, shared.extent_bits));
  }

  // Fault maps of the selected trials, drawn up front (they depend on the seed only).
  for (std::size_t p = 0; p < sc.points(); ++p) {
    for (const int k : sc.save_faultmaps) {
      if (k >= sc.trials) continue;
      writer.write_faultmap(p, static_cast<std::size_t>(k),
                            draw_fault_map(sc, shared.models[p], shared.mapping, shared.extent_bits,
                                           p, static_cast<std::size_t>(k)),
                            shared.mapping);
    }
  }
}

// Fault-free reference of every image, recording the golden activations that
// trials restart from; images run in parallel on the trial pool's threads.
void record_references(Shared& shared, ResultsWriter* writer, int threads) {
  const Scenario& sc = shared.scenario;
  const std::size_t dtypes = shared.images.size();
  const std::size_t budget = sc.activation_cache_mib * (std::size_t{1} << 20) / dtypes;
  shared.caches.resize(dtypes);
  shared.tails.resize(dtypes);
  std::atomic<std::size_t> next_dtype{0};
  std::exception_ptr setup_failure;
  std::mutex setup_mutex;
  std::vector<std::thread> setup;
  const auto setup_threads =
      std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(threads), dtypes));
  for (std::size_t w = 0; w < setup_threads; ++w) {
    setup.emplace_back([&] {
      try {
        std::vector<std::unique_ptr<nn::InferenceEngine>> engines;
        for (const auto& net : shared.variants) {
          engines.push_back(std::make_unique<nn::InferenceEngine>(
              net,
              nn::EngineOptions{
                  .threads = sc.engine_threads, .batch = sc.batch, .nan_policy = sc.nan_policy}));
        }
        for (std::size_t d = next_dtype++; d < dtypes; d = next_dtype++) {
          auto& engine = *engines[shared.variant_of_image[d]];
          const auto& image = shared.images[d];
          for (const auto& l : shared.layer_tensors) {
            for (const auto& [role, t] : l.tensors)
              engine.set_param(l.layer, role, image.golden_values(t));
          }
          // The dense tail first: a trial whose faults all land there costs microseconds
          // per sample; the resume cache gets what is left of the budget.
          // Recording costs set-up time (filling GBs on 10,000 images: about one full
          // evaluation for the tail, four more for the head's output) that trials win back
          // (a head trial saves about one evaluation, half the trials are head trials): a
          // campaign of fewer trials per image than these skips them.
          const std::size_t trials_per_image = sc.points() * static_cast<std::size_t>(sc.trials);
          constexpr std::size_t kTailPaysAfter = 2, kHeadDeltasPayAfter = 8;
          auto tail = shared.dense_tail && trials_per_image >= kTailPaysAfter
                          ? nn::DenseTail::plan(engine)
                          : nn::DenseTail{};
          // Its convolution head's output too (delta updates of changed channels) if it fits.
          if (!tail.empty() && (tail.bytes_for(shared.data.size()) > budget ||
                                trials_per_image < kHeadDeltasPayAfter))
            tail.set_head_deltas(false);
          const std::size_t tail_bytes = tail.empty() ? 0 : tail.bytes_for(shared.data.size());
          const bool with_tail = !tail.empty() && tail_bytes <= budget;
          // A trial that changes only tail layers restarts (if the tail declines it) no later
          // than the tail's first layer: restart points inside the tail are never used.
          std::vector<std::size_t> restart_layers;
          for (const auto layer : shared.weighted_layers)
            if (!with_tail || !tail.covers(layer) || layer == tail.first_layer())
              restart_layers.push_back(layer);
          shared.caches[d] = nn::record_resume_cache(engine, shared.data, restart_layers,
                                                     budget - (with_tail ? tail_bytes : 0),
                                                     with_tail ? &tail : nullptr);
          if (with_tail) shared.tails[d] = std::move(tail);
        }
      } catch (...) {
        std::lock_guard lock(setup_mutex);
        if (!setup_failure) setup_failure = std::current_exception();
      }
    });
  }
  for (auto& t : setup) t.join();
  if (setup_failure) std::rethrow_exception(setup_failure);
  for (std::size_t i = 0; i < dtypes; ++i) {
    const auto& m = shared.caches[i].metrics;
    shared.reference_correct.push_back(static_cast<std::int64_t>(m.correct));
    if (writer != nullptr)  // only the root rank writes (sim/cluster.h)
      writer->write_reference(i / sc.dtypes.size(), i % sc.dtypes.size(),
                              static_cast<std::int64_t>(m.correct), m.top1());
  }
}

// The work items: (sweep point, trial) in order.
std::vector<std::pair<std::size_t, std::size_t>> plan_work(const Scenario& sc,
                                                           const CampaignOptions& options) {
  std::vector<std::pair<std::size_t, std::size_t>> tasks;
  for (std::size_t p = 0; p < sc.points(); ++p) {
    for (int k = 0; k < sc.trials; ++k) {
      if (!options.only_trial || *options.only_trial == k)
        tasks.emplace_back(p, static_cast<std::size_t>(k));
    }
  }
  return tasks;
}

// FNV-1a over the model file's bytes and the data the run reads: a resumed run must read
// the same.
std::uint64_t inputs_hash(const std::string& model_file, const nn::Dataset& data) {
  std::uint64_t h = 1469598103934665603ull;
  const auto mix = [&h](const void* bytes, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(bytes);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  };
  std::ifstream in(model_file, std::ios::binary);
  std::vector<char> buffer(1 << 16);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0)
    mix(buffer.data(), static_cast<std::size_t>(in.gcount()));
  mix(data.pixels.data(), data.pixels.size());
  mix(data.features.data(), data.features.size() * sizeof(float));
  mix(data.labels.data(), data.labels.size());
  return h;
}

struct PoolResult {
  std::size_t written = 0, evaluations = 0;
  std::size_t bytes_received = 0;        // trial records from other ranks (the root of an MPI run)
  std::vector<std::int64_t> trials_run;  // per sweep point
};

// campaign.target_ci_halfwidth: trials of each point are written in trial order, and a
// point stops at the first trial count (>= min_trials) whose widest 95 % interval of mean
// accuracy is that narrow. Decided from trials 0..t-1 only, so the same trials are kept
// whatever the number of threads; trials run ahead past the stop are discarded.
class AdaptiveTrials {
 public:
  AdaptiveTrials(const Scenario& sc, std::vector<std::atomic<std::size_t>>& stop_at)
      : sc_(sc),
        stop_at_(stop_at),
        pending_(sc.points()),
        next_(sc.points(), 0),
        accuracy_(sc.points()) {}

  // Takes a finished trial; returns the trials now known to be kept, in order.
  std::vector<std::vector<TrialRecord>> take(std::vector<TrialRecord> records) {
    const std::size_t p = records.front().point;
    pending_[p][records.front().trial] = std::move(records);
    std::vector<std::vector<TrialRecord>> keep;
    auto& pending = pending_[p];
    while (!pending.empty() && pending.begin()->first == next_[p] && next_[p] < stop_at_[p]) {
      auto records_k = std::move(pending.begin()->second);
      pending.erase(pending.begin());
      for (const auto& r : records_k)
        accuracy_[p][{r.protection, r.dtype, r.checkpoint}].push_back(r.accuracy);
      keep.push_back(std::move(records_k));
      ++next_[p];
      if (next_[p] >= static_cast<std::size_t>(sc_.min_trials) &&
          widest_halfwidth(p) <= sc_.target_ci_halfwidth)
        stop_at_[p] = next_[p];
    }
    if (next_[p] >= stop_at_[p]) pending.clear();  // run ahead of the stop: not kept
    return keep;
  }

 private:
  double widest_halfwidth(std::size_t p) const {
    double widest = 0.0;
    for (const auto& [cell, values] : accuracy_[p]) {
      const auto m = mean_t_interval(values);
      if (!(m.high - m.low <= 2.0 * sc_.target_ci_halfwidth)) return INFINITY;  // also NaN
      widest = std::max(widest, (m.high - m.low) / 2.0);
    }
    return widest;
  }

  const Scenario& sc_;
  std::vector<std::atomic<std::size_t>>& stop_at_;
  std::vector<std::map<std::size_t, std::vector<TrialRecord>>> pending_;  // by trial
  std::vector<std::size_t> next_;                                         // next trial to keep
  std::vector<std::map<std::tuple<std::size_t, std::size_t, std::size_t>, std::vector<double>>>
      accuracy_;  // per point: (protection, dtype, checkpoint) -> kept trials' accuracies
};

// Workers evaluate trials; this thread alone writes the file, one finished trial at a
// time, flushed.
// Message tags between the ranks of an MPI run (sim/cluster.h).
constexpr int kTrialTag = 1;  // a finished trial's records
constexpr int kDoneTag = 2;   // a rank ran all its trials; the bytes: its evaluation count

// Runs this process's `tasks` (of `total_tasks` in the campaign) on a pool of threads.
// The root writes every finished trial -- its own, and those the other ranks send it;
// another rank only sends (`writer` is null there).
PoolResult run_trial_pool(const Shared& shared,
                          const std::vector<std::pair<std::size_t, std::size_t>>& tasks,
                          std::size_t total_tasks, ResultsWriter* writer,
                          const CampaignOptions& options, Clock::time_point start) {
  const Scenario& sc = shared.scenario;
  const Cluster* cluster = options.cluster;
  const int ranks = cluster != nullptr ? cluster->size() : 1;
  const bool root = writer != nullptr;
  std::vector<std::atomic<std::size_t>> stop_at(sc.points());
  for (auto& s : stop_at) s = static_cast<std::size_t>(sc.trials);
  const bool adaptive = sc.target_ci_halfwidth > 0.0 && !options.only_trial;
  AdaptiveTrials trials(sc, stop_at);
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> evaluations{0};
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::vector<TrialRecord>> finished;
  std::exception_ptr failure;
  std::size_t workers_done = 0;
  const int pool = std::max(1, std::min<int>(options.threads, static_cast<int>(tasks.size())));
  std::vector<std::thread> threads;
  for (int w = 0; w < pool; ++w) {
    threads.emplace_back([&] {
      try {
        Worker worker(shared);
        std::size_t local_evaluations = 0;
        for (std::size_t i = next++; i < tasks.size(); i = next++) {
          if (options.stop && options.stop->load()) break;           // interrupted
          if (tasks[i].second >= stop_at[tasks[i].first]) continue;  // its point has stopped
          auto records = worker.run(tasks[i].first, tasks[i].second, local_evaluations);
          std::lock_guard lock(mutex);
          finished.push_back(std::move(records));
          ready.notify_one();
          if (failure) break;
        }
        evaluations += local_evaluations;
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!failure) failure = std::current_exception();
        next = tasks.size();  // stop the others
      }
      std::lock_guard lock(mutex);
      ++workers_done;
      ready.notify_one();
    });
  }
  // The root's receiver: the other ranks' finished trials join its own.
  std::size_t producers = threads.size();
  std::size_t bytes_received = 0;
  std::thread receiver;
  if (root && ranks > 1) {
    ++producers;
    receiver = std::thread([&] {
      for (int done = 0; done < ranks - 1;) {
        auto message = cluster->receive();
        if (message.tag == kDoneTag) {
          std::uint64_t remote = 0;
          std::memcpy(&remote, message.bytes.data(), std::min(message.bytes.size(), sizeof remote));
          evaluations += static_cast<std::size_t>(remote);
          ++done;
          continue;
        }
        auto records = decode_trial(message.bytes);
        std::lock_guard lock(mutex);
        bytes_received += message.bytes.size();
        finished.push_back(std::move(records));
        ready.notify_one();
      }
      std::lock_guard lock(mutex);
      ++workers_done;
      ready.notify_one();
    });
  }

  std::size_t written = 0;
  std::vector<std::int64_t> trials_run(sc.points(), 0);
  while (true) {
    std::vector<TrialRecord> records;
    {
      std::unique_lock lock(mutex);
      ready.wait(lock, [&] { return !finished.empty() || workers_done == producers; });
      if (finished.empty()) break;
      records = std::move(finished.front());
      finished.pop_front();
    }
    if (!root) {  // the root writes it (and decides adaptive trial counts)
      cluster->send_to_root(kTrialTag, encode_trial(records));
      ++written;
      continue;
    }
    std::vector<std::vector<TrialRecord>> keep;
    if (adaptive)
      keep = trials.take(std::move(records));
    else
      keep.push_back(std::move(records));
    for (const auto& trial : keep) {
      for (const auto& r : trial) writer->write_trial(r);
      if (!trial.empty()) ++trials_run[trial.front().point];
      writer->flush();
      if (++written == 1 && options.first_trial_written) options.first_trial_written();
    }
    if (options.progress) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      const double rate = static_cast<double>(written) / elapsed;
      std::fprintf(stderr, "\r%zu/%zu trials, %.2f trials/s, ETA %s   ", written, total_tasks, rate,
                   format_duration(static_cast<double>(total_tasks - written) / rate).c_str());
      std::fflush(stderr);
    }
  }
  for (auto& t : threads) t.join();
  if (receiver.joinable()) receiver.join();
  if (options.progress) std::fprintf(stderr, "\n");
  if (failure) std::rethrow_exception(failure);
  if (!root && ranks > 1) {
    const std::uint64_t mine = evaluations.load();
    std::vector<std::uint8_t> bytes(sizeof mine);
    std::memcpy(bytes.data(), &mine, sizeof mine);
    cluster->send_to_root(kDoneTag, bytes);
  }
  return {written, evaluations.load(), bytes_received, trials_run};
}

void check_overrides(const Shared& shared);
CampaignSummary run_prepared(Shared& shared, const CampaignOptions& options,
                             Clock::time_point start);

// The campaign's set-up -- model, data, stored images, placement, target layers, fault
// models -- everything `run` checks before its first evaluation; `validate` runs it too.
template <typename F>
auto with_prepared(const Scenario& sc, const std::string& data_root, F&& f) {
  Shared shared{.scenario = sc,
                .network = nn::load_model(sc.model_file),
                .variants = {},
                .variant_of_image = {},
                .data = load_scenario_dataset(sc, data_root),
                .mapping = memory::AddressMapping(sc.geometry, sc.mapping),
                .images = {},
                .extent_bits = 0,
                .models = {},
                .reference_correct = {},
                .caches = {},
                .tails = {},
                .weighted_layers = {},
                .layer_tensors = {},
                .slot_of_tensor = {},
                .word_bits = {},
                .protections = {},
                .targeted_segments = {},
                .full_eval = false};
  check_overrides(shared);
  shared.protections = protections_for(sc, shared.network);
  index_layers(shared);
  build_images(shared);
  mark_target_segments(shared);
  create_fault_models(shared);
  return f(shared);
}

// campaign.fixed_point_overrides must name layers with stored weights.
void check_overrides(const Shared& shared) {
  for (const auto& d : shared.scenario.dtypes) {
    for (const auto& [layer, dtype] : d.owner_overrides) {
      const auto& net = shared.network;
      bool found = false;
      for (std::size_t i = 0; i < net.size(); ++i)
        found = found || (net.layer(i).name == layer && net.layer(i).has_weights());
      if (!found) {
        std::vector<std::string> names;
        for (const auto i : shared.network.topological_order())
          if (shared.network.layer(i).has_weights()) names.push_back(shared.network.layer(i).name);
        throw InputError(fmt::format(
            "{}: campaign.fixed_point_overrides: '{}' is not a layer with stored weights of "
            "model '{}' (layers: {})",
            shared.scenario.file, layer, shared.network.name, fmt::join(names, ", ")));
      }
    }
  }
}

}  // namespace

CampaignSummary run_campaign(const Scenario& sc, const memory::FaultModelRegistry& registry,
                             const CampaignOptions& options) {
  (void)registry;
  const auto start = Clock::now();
  if (options.resume && (options.only_trial || sc.target_ci_halfwidth > 0.0))
    throw InputError(
        "--resume continues whole runs: not with --only-trial or "
        "campaign.target_ci_halfwidth (yet)");
  if (options.only_trial && (*options.only_trial < 0 || *options.only_trial >= sc.trials)) {
    throw InputError(fmt::format("--only-trial {}: the scenario has trials 0..{}",
                                 *options.only_trial, sc.trials - 1));
  }
  // Every rank sets up on its own (the same model, data and images); they agree that all
  // of them succeeded before the root creates the file.
  bool set_up = false;
  try {
    return with_prepared(sc, options.data_root, [&](Shared& shared) {
      set_up = true;
      if (options.cluster != nullptr) options.cluster->stop_unless_all_ok(nullptr);
      shared.full_eval = options.full_eval;
      shared.dense_tail = options.dense_tail && !options.full_eval;
      return run_prepared(shared, options, start);
    });
  } catch (...) {
    if (!set_up && options.cluster != nullptr)
      options.cluster->stop_unless_all_ok(std::current_exception());
    throw;
  }
}

CampaignCheck check_campaign(const Scenario& sc, const std::string& data_root) {
  return with_prepared(sc, data_root, [](Shared& shared) {
    CampaignCheck c;
    c.model = shared.network.name;
    c.images = shared.data.size();
    for (const auto& image : shared.images)
      c.stored_bits = std::max(c.stored_bits, image.placement().extent_bits());
    c.capacity_bits = shared.scenario.geometry.total_bits();
    return c;
  });
}

namespace {

// The same task list on every rank: the root's (which knows what a resumed file holds).
void broadcast_tasks(const Cluster& cluster,
                     std::vector<std::pair<std::size_t, std::size_t>>& tasks) {
  std::vector<std::uint8_t> bytes(tasks.size() * 2 * sizeof(std::uint64_t));
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const std::uint64_t pair[2] = {tasks[i].first, tasks[i].second};
    std::memcpy(bytes.data() + i * sizeof pair, pair, sizeof pair);
  }
  cluster.broadcast(bytes);
  tasks.resize(bytes.size() / (2 * sizeof(std::uint64_t)));
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    std::uint64_t pair[2];
    std::memcpy(pair, bytes.data() + i * sizeof pair, sizeof pair);
    tasks[i] = {pair[0], pair[1]};
  }
}

CampaignSummary run_prepared(Shared& shared, const CampaignOptions& options,
                             Clock::time_point start) {
  const Scenario& sc = shared.scenario;
  const Cluster* cluster = options.cluster;
  const bool root = cluster == nullptr || cluster->root();
  const int ranks = cluster != nullptr ? cluster->size() : 1;
  // Only the root touches the results file.
  std::optional<ResultsWriter> writer;
  std::exception_ptr failure;
  if (root) {
    try {
      const auto hash = inputs_hash(sc.model_file, shared.data);
      const bool resume = options.resume && ResultsWriter::resumable(sc.output);
      if (resume)
        writer.emplace(sc.output, sc, results_layout(shared), hash, ResultsWriter::Resume{});
      else
        writer.emplace(sc.output, sc, results_layout(shared), hash);
      writer->write_ranks(ranks);
      // Written on resume too (the same values): a run killed in set-up may not have them all.
      write_seed_data(shared, *writer);
    } catch (...) {
      failure = std::current_exception();
    }
  }
  if (cluster != nullptr)
    cluster->stop_unless_all_ok(failure);
  else if (failure)
    std::rethrow_exception(failure);

  // From here a failure on one rank ends the job: the file keeps its finished trials.
  try {
    record_references(shared, writer ? &*writer : nullptr, options.threads);
    auto tasks = plan_work(sc, options);
    std::vector<std::int64_t> kept(sc.points(), 0);  // trials a resumed file already has
    if (writer) {
      writer->flush();
      std::erase_if(tasks, [&](const auto& task) {
        const bool done = writer->trial_finished(task.first, task.second);
        if (done) ++kept[task.first];
        return done;
      });
    }
    const std::size_t total_tasks = tasks.size();
    if (ranks > 1) {
      broadcast_tasks(*cluster, tasks);
      // Round robin over (point, trial): every rank gets every point's mix of costs.
      std::vector<std::pair<std::size_t, std::size_t>> mine;
      for (std::size_t i = static_cast<std::size_t>(cluster->rank()); i < tasks.size();
           i += static_cast<std::size_t>(ranks))
        mine.push_back(tasks[i]);
      tasks = std::move(mine);
    }
    const double setup_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    auto pool =
        run_trial_pool(shared, tasks, total_tasks, writer ? &*writer : nullptr, options, start);
    const bool interrupted = options.stop && options.stop->load();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!root) return {pool.written, pool.evaluations, seconds, setup_seconds, interrupted, 0};
    for (std::size_t p = 0; p < sc.points(); ++p) pool.trials_run[p] += kept[p];
    if (interrupted) {
      writer->mark_interrupted();
      return {pool.written, pool.evaluations, seconds, setup_seconds, true, pool.bytes_received};
    }
    writer->write_trials_run(pool.trials_run);
    writer->finish();
    return {pool.written, pool.evaluations, seconds, setup_seconds, false, pool.bytes_received};
  } catch (const std::exception& e) {
    if (ranks == 1) throw;
    std::fprintf(stderr, "weightfault: error: rank %d: %s\n", cluster->rank(), e.what());
    std::fflush(stderr);
    cluster->abort(1);
  }
}

}  // namespace

}  // namespace weightfault::sim

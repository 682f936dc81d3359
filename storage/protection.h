// Protections: an ordered chain of stages between the trained weights and the
// values inference reads (docs/protections.md). A stage is one file in
// storage/stages/ implementing TensorStage and returning its
// ProtectionStageInfo; storage/protection.cpp lists them (one line each).
//
// A chain is written "scale+secded+clamp". Stages apply in their natural place
// whatever the order written -- the order of the stage list: value transforms
// before encoding (scale), one code over the stored words (parity_zero or
// secded), value transforms after decoding (scale's division, clamp, saf), then
// integrity checks (layer_drop). `none` is the chain with no stage.
//
// What a stage may do, per tensor it binds to (TensorStage):
//   - transform values before encoding and after decoding (calibrating on the
//     fault-free values that reach it, e.g. clamp's bounds);
//   - lay out words of its own in the same fault-prone memory (check bytes, CRCs)
//     and write them for the golden image;
//   - be the chain's code: group the data words into codewords and read a group
//     (correcting or detecting), say which groups a word of its own affects, and
//     whether a scrub can write corrections back;
//   - be an integrity check over chunks of words (layer_drop's CRCs);
// and, per chain, tell sim/ about network-level effects (NetworkEffect).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/parameter.h"
#include "memory_models/placement.h"
#include "storage/dtype.h"

namespace weightfault {
struct WeightTransform;
}
namespace weightfault::memory {
class AddressMapping;
class FaultMap;
}  // namespace weightfault::memory

namespace weightfault::storage {

class StoredImage;
struct StoredTensor;

// Bounds of the groups (or check chunks) one stored word belongs to: [first, last).
struct GroupRange {
  std::size_t tensor = SIZE_MAX;
  std::size_t first = 0, last = 0;
};

// A decode group as a code reads it.
enum class ReadStatus { ok, corrected, detected };
struct GroupRead {
  std::uint64_t bits = 0;  // the group's data bits, corrected when the code could
  ReadStatus status = ReadStatus::ok;
  bool zero = false;  // a detected error reads as zero weights
};

// Which segment of a tensor a stored word is in, for integrity checks.
enum class SegmentRole { data, tensor_scale, code, own, other };

// A stage bound to one tensor; made when the image is planned, immutable after it is built.
class TensorStage {
 public:
  virtual ~TensorStage() = default;

  // Values, applied in chain order: stored = before_encode(w); read = after_decode(decoded).
  virtual float before_encode(float w) const { return w; }
  virtual float after_decode(float v) const { return v; }
  // The fault-free values that reach this stage on read, once, before after_decode is used.
  virtual void calibrate(std::span<const float> golden) { (void)golden; }

  // Words of the stage's own segment for the golden image (after the data words are written).
  virtual void write_golden(const StoredImage& image, std::size_t tensor,
                            std::span<std::uint8_t> bytes) const {
    (void)image, (void)tensor, (void)bytes;
  }
  // The decode groups that word `word` of the stage's own segment affects.
  virtual GroupRange groups_of_word(std::size_t tensor, std::uint64_t word) const {
    (void)tensor, (void)word;
    return {};
  }

  // A code over the stored words: reads group `group` (its raw data bits `raw`).
  virtual bool is_code() const { return false; }
  virtual GroupRead read_group(const StoredImage& image, std::size_t tensor, std::size_t group,
                               std::uint64_t raw, std::span<const std::uint8_t> bytes) const {
    (void)image, (void)tensor, (void)group, (void)bytes;
    return {raw, ReadStatus::ok, false};
  }
  // Whether the code corrects (so a scrub can write corrections back, and what a check
  // downstream sees is the corrected word).
  virtual bool corrects() const { return false; }
  // Bits of the code's own word for `group`: (word, bit count) in the stage's segment.
  virtual std::pair<std::uint64_t, std::uint32_t> check_word_of(std::size_t group) const {
    (void)group;
    return {0, 0};
  }

  // An integrity check over chunks of the tensor's words.
  virtual std::size_t check_chunks() const { return 0; }
  virtual GroupRange chunks_of(std::size_t tensor, SegmentRole role, std::uint64_t word) const {
    (void)tensor, (void)role, (void)word;
    return {};
  }
  virtual bool chunk_intact(const StoredImage& image, std::size_t tensor, std::size_t chunk,
                            std::span<const std::uint8_t> bytes) const {
    (void)image, (void)tensor, (void)chunk, (void)bytes;
    return true;
  }

  // Set by the plan: the stage's own segment (SIZE_MAX: none).
  std::size_t segment = SIZE_MAX;
};

// What a network-level protection asks of sim/ (the only place network and memory meet).
enum class NetworkEffect {
  none,
  clip_activations,      // ReLUs clipped at the model's tuned thresholds (clip_act)
  detach_layers,         // a failed check runs a sub-model without the layer (layer_drop)
  read_model_transform,  // the model stores raw weights read through f (saf)
};

// What a stage sees of the model and the tensor when it binds.
struct ModelFacts {
  std::string name;
  std::string weight_transform = "none";  // the transform the model was trained with
};

// One tensor as a stage binds to it; stages may add segments and set the group size.
struct TensorPlan {
  const ModelFacts& model;
  const std::string& protection;  // the chain's name, for errors
  StoredTensor& tensor;
  std::span<const float> values;           // trained values
  std::vector<memory::Segment>& segments;  // the image's segments so far
  const memory::Geometry& geometry;        // the memory the image goes to
  // Adds segment "<tensor>/<suffix>" and returns its index.
  std::size_t add_segment(const std::string& suffix, std::uint64_t words,
                          std::uint32_t word_bits) const;
  // Adds segment "<tensor>/<suffix>" in the ECC lanes beside the tensor's data: one word
  // of `word_bits` per bus word the data fills (memory_models/placement.h).
  std::size_t add_sideband_segment(const std::string& suffix, std::uint32_t word_bits) const;
};

struct ProtectionStageInfo {
  std::string name;
  std::string description;
  std::vector<ParamDecl> params;
  bool is_code = false;  // at most one code per chain
  NetworkEffect effect = NetworkEffect::none;
  // Binds the stage to one tensor (its parameters without the "<stage>." prefix); nullptr
  // when the stage does not apply to that tensor.
  std::function<std::unique_ptr<TensorStage>(const TensorPlan&, const ParamValues&)> bind;
  // What the stage needs of the memory and cannot get from `geometry` (nullopt: fine), so a
  // scenario names it before anything runs; bind checks the same.
  std::function<std::optional<std::string>(const memory::Geometry&, const ParamValues&)>
      memory_problem;
  // A stage inside the memory devices (on-die ECC): after the faults active at t_s are
  // applied to `bytes` (a copy of the image's golden bytes), corrects each device's
  // internal words as the device would on a read, before any bus-level code sees them.
  // Bits it changes are added to `touched_bits` (image bits).
  std::function<void(const StoredImage& image, const memory::AddressMapping& mapping,
                     const memory::FaultMap& map, double t_s, const ParamValues& params,
                     std::span<std::uint8_t> bytes, std::vector<std::uint64_t>& touched_bits)>
      device_read;
  // After every tensor was bound (one factor for the whole model, model-level checks).
  std::function<void(std::span<TensorStage* const>, const ParamValues&, const ModelFacts&,
                     const std::string& protection)>
      finish;
};

// Every protection stage, in natural order (immutable).
const std::vector<ProtectionStageInfo>& protection_stages();
const ProtectionStageInfo* find_stage(const std::string& name);

struct ProtectionSpec {
  std::string name = "none";                       // as written, e.g. "scale+secded"
  std::vector<const ProtectionStageInfo*> stages;  // natural order
  ParamValues params;                              // "<stage>.<key>" -> value, defaults filled in

  bool has_effect(NetworkEffect effect) const;
  // The chain reads weights as the unprotected model does (none, or only the model's f).
  bool is_baseline() const;
  // Parameters of `stage` without the "<stage>." prefix.
  ParamValues stage_params(const ProtectionStageInfo& stage) const;
};

// Every stage parameter at its default, keyed "<stage>.<key>".
ParamValues default_stage_params();

// A protection from a chain and parameter overrides ("<stage>.<key>" -> value);
// throws std::invalid_argument for an invalid chain (scenarios validate first).
ProtectionSpec make_protection(const std::string& chain, const ParamValues& overrides = {});

// Parses "none" or a chain "a+b+..." into natural order. Returns the problem, or nullopt.
std::optional<std::string> parse_protection_chain(const std::string& chain,
                                                  std::vector<const ProtectionStageInfo*>& stages);

// "none" and every stage name.
std::vector<std::string> protection_names();

}  // namespace weightfault::storage

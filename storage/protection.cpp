#include "storage/protection.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "storage/stored_image.h"

// Every protection stage, in natural order (the order a chain applies them):
// one line per stage file in storage/stages/ (docs/extending.md).
#define WEIGHTFAULT_PROTECTION_STAGES(X) \
  X(ondie_ecc)                           \
  X(scale)                               \
  X(clamp)                               \
  X(parity_zero)                         \
  X(secded)                              \
  X(chipkill)                            \
  X(clip_act)                            \
  X(saf)                                 \
  X(layer_drop)

namespace weightfault::storage {

#define WEIGHTFAULT_DECLARE_STAGE(name) ProtectionStageInfo name##_stage_info();
WEIGHTFAULT_PROTECTION_STAGES(WEIGHTFAULT_DECLARE_STAGE)
#undef WEIGHTFAULT_DECLARE_STAGE

const std::vector<ProtectionStageInfo>& protection_stages() {
#define WEIGHTFAULT_LIST_STAGE(name) name##_stage_info(),
  static const std::vector<ProtectionStageInfo> stages{
      WEIGHTFAULT_PROTECTION_STAGES(WEIGHTFAULT_LIST_STAGE)};
#undef WEIGHTFAULT_LIST_STAGE
  return stages;
}

const ProtectionStageInfo* find_stage(const std::string& name) {
  for (const auto& s : protection_stages()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::vector<std::string> protection_names() {
  std::vector<std::string> names{"none"};
  for (const auto& s : protection_stages()) names.push_back(s.name);
  return names;
}

std::size_t TensorPlan::add_segment(const std::string& suffix, std::uint64_t words,
                                    std::uint32_t word_bits) const {
  segments.push_back({tensor.name + "/" + suffix, words, word_bits});
  return segments.size() - 1;
}

std::size_t TensorPlan::add_sideband_segment(const std::string& suffix,
                                             std::uint32_t word_bits) const {
  const std::uint64_t data_bits = tensor.elements * static_cast<std::uint64_t>(tensor.dtype.bits());
  const std::uint64_t bus_words = (data_bits + geometry.data_width() - 1) / geometry.data_width();
  segments.push_back({tensor.name + "/" + suffix, bus_words, word_bits, tensor.segment});
  return segments.size() - 1;
}

bool ProtectionSpec::has_effect(NetworkEffect effect) const {
  return std::any_of(stages.begin(), stages.end(),
                     [&](const ProtectionStageInfo* s) { return s->effect == effect; });
}

bool ProtectionSpec::is_baseline() const {
  return std::all_of(stages.begin(), stages.end(), [](const ProtectionStageInfo* s) {
    return s->effect == NetworkEffect::read_model_transform;
  });
}

ParamValues ProtectionSpec::stage_params(const ProtectionStageInfo& stage) const {
  ParamValues out;
  const std::string prefix = stage.name + ".";
  for (const auto& [key, value] : params.all()) {
    if (key.starts_with(prefix)) out.set(key.substr(prefix.size()), value);
  }
  return out;
}

ParamValues default_stage_params() {
  ParamValues values;
  for (const auto& stage : protection_stages()) {
    for (const auto& decl : stage.params) {
      if (decl.default_value) values.set(stage.name + "." + decl.key, *decl.default_value);
    }
  }
  return values;
}

ProtectionSpec make_protection(const std::string& chain, const ParamValues& overrides) {
  ProtectionSpec spec;
  spec.name = chain;
  if (const auto problem = parse_protection_chain(chain, spec.stages))
    throw std::invalid_argument(*problem);
  spec.params = default_stage_params();
  for (const auto& [key, value] : overrides.all()) spec.params.set(key, value);
  return spec;
}

std::optional<std::string> parse_protection_chain(const std::string& chain,
                                                  std::vector<const ProtectionStageInfo*>& stages) {
  stages.clear();
  if (chain == "none") return std::nullopt;
  std::stringstream ss(chain);
  std::string part;
  const auto names = protection_names();
  while (std::getline(ss, part, '+')) {
    const auto* info = find_stage(part);
    if (info == nullptr) {
      return fmt::format("unknown protection stage '{}' (known: {}; chain stages with '+')", part,
                         fmt::join(names, ", "));
    }
    if (std::find(stages.begin(), stages.end(), info) != stages.end()) {
      return fmt::format("stage '{}' appears twice", part);
    }
    stages.push_back(info);
  }
  if (stages.empty()) return "empty protection chain";
  // Natural order: the order of the stage list.
  std::sort(stages.begin(), stages.end());  // the list is one vector: address order is its order
  const ProtectionStageInfo* code = nullptr;
  for (const auto* s : stages) {
    if (!s->is_code) continue;
    if (code != nullptr)
      return fmt::format("{} and {} are both codes over the stored words; choose one", code->name,
                         s->name);
    code = s;
  }
  return std::nullopt;
}

}  // namespace weightfault::storage

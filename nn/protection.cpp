#include "nn/protection.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace weightfault::nn {

const std::vector<StageInfo>& protection_stages() {
  static const std::vector<StageInfo> stages{
      {StageKind::scale,
       "scale",
       "store w*c, divide by c on read (Fuengfusin & Tamukoh 2024, arXiv 2411.18993)",
       {choice_param("c", "'auto' for the documented rule, or a number given as c_value",
                     {"auto", "value"}, "auto"),
        number_param("c_value", "", "the scale factor when c = 'value'", 1e-30, 1e30, 1.0, false),
        choice_param("per", "one c per layer, or one for the whole model (the smallest)",
                     {"layer", "model"}, "layer")}},
      {StageKind::clamp,
       "clamp",
       "decoded weights clamped to each tensor's fault-free [min, max]",
       {}},
      {StageKind::parity_zero,
       "parity_zero",
       "a parity bit per weight (or per 64-bit word); a failed check reads as zero",
       {choice_param("granularity", "one parity bit per weight, or per 64-bit word of weights",
                     {"weight", "word"}, "weight")}},
      {StageKind::secded,
       "secded",
       "Hamming SEC-DED (72,64) over 64-bit words, check bytes in the same fault-prone memory",
       {choice_param("policy",
                     "a detected-uncorrectable word: zero its weights, or keep the raw bits",
                     {"zero", "keep"}, "zero")}},
      {StageKind::clip_act,
       "clip_act",
       "ReLUs clipped at per-layer thresholds saved in the model by tune-clip (Hoang et al., DATE "
       "2020)",
       {}},
      {StageKind::saf,
       "saf",
       "conv/dense kernels read through a saturating function f (SAF; Fuengfusin & Tamukoh 2024, "
       "arXiv 2411.19027); memory stores the raw weights",
       {choice_param("f",
                     "the function; auto = the one the model was trained with (weightfault train)",
                     {"auto", "tanh", "arctan", "softsign", "hardtanh"}, "auto")}},
      {StageKind::layer_drop,
       "layer_drop",
       "a CRC-32 per chunk of each detachable layer's stored words, in the same fault-prone "
       "memory; when a check fails the network runs as the trained sub-model without that layer "
       "(sub-networks: Fuengfusin & Tamukoh 2020)",
       {integer_param("chunk_weights", "weights",
                      "weights covered by one CRC-32 word (overhead 32 / chunk_weights bits per "
                      "weight)",
                      8, 1048576, 256)}},
  };
  return stages;
}

const StageInfo* find_stage(const std::string& name) {
  for (const auto& s : protection_stages()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool ProtectionSpec::has(StageKind kind) const {
  return std::find(stages.begin(), stages.end(), kind) != stages.end();
}

namespace {
std::string stage_name(StageKind kind) {
  for (const auto& s : protection_stages()) {
    if (s.kind == kind) return s.name;
  }
  return "?";
}
}  // namespace

std::string ProtectionSpec::param_text(StageKind kind, const std::string& key) const {
  return params.text(stage_name(kind) + "." + key);
}

double ProtectionSpec::param_number(StageKind kind, const std::string& key) const {
  return params.number(stage_name(kind) + "." + key);
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
                                                  std::vector<StageKind>& stages) {
  stages.clear();
  if (chain == "none") return std::nullopt;
  std::stringstream ss(chain);
  std::string part;
  std::vector<std::string> names;
  for (const auto& s : protection_stages()) names.push_back(s.name);
  while (std::getline(ss, part, '+')) {
    const auto* info = find_stage(part);
    if (info == nullptr) {
      return fmt::format("unknown protection stage '{}' (known: none, {}; chain stages with '+')",
                         part, fmt::format("{}", fmt::join(names, ", ")));
    }
    if (std::find(stages.begin(), stages.end(), info->kind) != stages.end()) {
      return fmt::format("stage '{}' appears twice", part);
    }
    stages.push_back(info->kind);
  }
  if (stages.empty()) return "empty protection chain";
  const bool parity =
      std::find(stages.begin(), stages.end(), StageKind::parity_zero) != stages.end();
  const bool secded = std::find(stages.begin(), stages.end(), StageKind::secded) != stages.end();
  if (parity && secded)
    return "parity_zero and secded are both codes over the stored words; choose one";
  return std::nullopt;
}

float auto_scale_factor(const Encoding& enc, std::span<const float> values) {
  float max_abs = 0.0f;
  float min_nonzero = std::numeric_limits<float>::infinity();
  for (float v : values) {
    const float a = std::abs(v);
    max_abs = std::max(max_abs, a);
    if (a > 0.0f) min_nonzero = std::min(min_nonzero, a);
  }
  if (max_abs == 0.0f) return 1.0f;
  switch (enc.kind) {
    case EncodingKind::fp32:
    case EncodingKind::fp16:
    case EncodingKind::bf16: {
      // Largest finite value of the format; keep the largest weight a factor 2 below it.
      const double format_max = enc.kind == EncodingKind::fp16 ? 65504.0 : 3.0e38;
      const int wanted = static_cast<int>(std::ceil(std::log2(2.0 / min_nonzero)));
      const int allowed = static_cast<int>(std::floor(std::log2(format_max / 2.0 / max_abs)));
      return static_cast<float>(std::ldexp(1.0, std::max(0, std::min(wanted, allowed))));
    }
    case EncodingKind::fixed8: {
      const double max_code = 127.0 / std::ldexp(1.0, enc.frac_bits);
      return static_cast<float>(max_code / max_abs);
    }
    case EncodingKind::int8_sym:
      return 1.0f;
  }
  return 1.0f;
}

int parity_of(std::uint64_t bits) {
  return std::popcount(bits) & 1;
}

}  // namespace weightfault::nn

// Protections: an ordered chain of stages between the trained weights and
// the values inference reads (docs/protections.md).
//
//   scale        store w * c, divide by c on read (Fuengfusin & Tamukoh 2024)
//   clamp        decoded weights clamped to the tensor's fault-free [min, max]
//   parity_zero  one parity bit per weight (or per 64-bit word); a failed check reads 0
//   secded       Hamming SEC-DED (72,64) over 64-bit words; check bytes in the same memory
//   clip_act     ReLUs clipped at per-layer thresholds from tune-clip (FT-ClipAct, Hoang et al.
//   2020)
//   saf          conv/dense kernels read as f(stored), f a saturating function (Fuengfusin &
//                Tamukoh 2024); with f = auto, the transform the model was trained with
//   layer_drop   a CRC-32 per chunk of every detachable layer's stored words, in the same
//                memory; a failed check runs the sub-model without that layer (Fuengfusin &
//                Tamukoh 2020 sub-networks)
//
// A chain is written "scale+secded+clamp". Stages apply in their natural
// place whatever the order written: scale before encoding, one code
// (parity_zero or secded) over the stored words, clamp after decoding, clip_act
// on activations.
// `none` is the chain with no stage.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/parameter.h"
#include "nn/encoding.h"

namespace weightfault::nn {

enum class StageKind { scale, clamp, parity_zero, secded, clip_act, saf, layer_drop };

struct StageInfo {
  StageKind kind;
  std::string name;
  std::string description;
  std::vector<ParamDecl> params;
};
const std::vector<StageInfo>& protection_stages();
const StageInfo* find_stage(const std::string& name);

struct ProtectionSpec {
  std::string name;  // as written in the scenario, e.g. "scale+secded"
  std::vector<StageKind> stages;
  ParamValues params;  // "<stage>.<key>" -> value, defaults filled in

  bool has(StageKind kind) const;
  std::string param_text(StageKind kind, const std::string& key) const;
  double param_number(StageKind kind, const std::string& key) const;
};

// Every stage parameter at its default, keyed "<stage>.<key>".
ParamValues default_stage_params();

// A protection from a chain and parameter overrides ("<stage>.<key>" -> value);
// throws std::invalid_argument for an invalid chain (scenarios validate first).
ProtectionSpec make_protection(const std::string& chain, const ParamValues& overrides = {});

// Parses "none" or a chain "a+b+...". Returns the problem, or nullopt.
std::optional<std::string> parse_protection_chain(const std::string& chain,
                                                  std::vector<StageKind>& stages);

// Scale factor c of the `scale` stage for a tensor stored in `enc`, by the
// documented rule: floating point -- the smallest power of two that moves
// every nonzero |w * c| to >= 2 without overflowing the format; fixed point --
// the largest c that does not saturate; int8_sym -- 1 (it already fills its range).
float auto_scale_factor(const Encoding& enc, std::span<const float> values);

int parity_of(std::uint64_t bits);

}  // namespace weightfault::nn

// clip_act: ReLUs clipped at per-layer thresholds saved in the model by tune-clip
// (FT-ClipAct; Hoang et al., DATE 2020). Nothing changes in memory: the stage is a network
// effect that sim/ applies (the network variant with clipped ReLUs).
#include "storage/protection.h"

namespace weightfault::storage {

ProtectionStageInfo clip_act_stage_info() {
  ProtectionStageInfo info;
  info.name = "clip_act";
  info.description =
      "ReLUs clipped at per-layer thresholds saved in the model by tune-clip (Hoang et al., DATE "
      "2020)";
  info.effect = NetworkEffect::clip_activations;
  info.bind = [](const TensorPlan&, const ParamValues&) { return std::unique_ptr<TensorStage>(); };
  return info;
}

}  // namespace weightfault::storage

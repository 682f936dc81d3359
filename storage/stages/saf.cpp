// saf: conv/dense kernels read as f(stored), f a saturating function (SAF; Fuengfusin &
// Tamukoh 2024, arXiv 2411.19027); memory stores the raw weights. With f = auto, the
// transform the model was trained with; a model trained with one must be read through it
// (sim/ adds saf to the baseline and refuses chains without it).
#include <fmt/format.h>

#include "common/input_error.h"
#include "common/weight_transform.h"
#include "storage/protection.h"
#include "storage/stored_image.h"

namespace weightfault::storage {
namespace {

class Saf final : public TensorStage {
 public:
  explicit Saf(const WeightTransform* f) : f_(f) {}
  float after_decode(float v) const override { return f_->apply(v); }

 private:
  const WeightTransform* f_;
};

}  // namespace

ProtectionStageInfo saf_stage_info() {
  ProtectionStageInfo info;
  info.name = "saf";
  info.description =
      "conv/dense kernels read through a saturating function f (SAF; Fuengfusin & Tamukoh 2024, "
      "arXiv 2411.19027); memory stores the raw weights";
  info.params = {
      choice_param("f",
                   "the function; auto = the one the model was trained with (weightfault "
                   "train)",
                   {"auto", "tanh", "arctan", "softsign", "hardtanh"}, "auto")};
  info.effect = NetworkEffect::read_model_transform;
  info.bind = [](const TensorPlan& plan,
                 const ParamValues& params) -> std::unique_ptr<TensorStage> {
    std::string f = params.text("f");
    if (f == "auto") {
      if (plan.model.weight_transform == "none") {
        throw InputError(fmt::format(
            "protection '{}': saf with f = auto needs a model trained with a weight transform "
            "(training.weight_transform); '{}' has none (set protection.saf.f)",
            plan.protection, plan.model.name));
      }
      f = plan.model.weight_transform;
    }
    const WeightTransform* transform = find_weight_transform(f);
    if (plan.tensor.role != "kernel" || transform == nullptr) return nullptr;
    return std::make_unique<Saf>(transform);
  };
  return info;
}

}  // namespace weightfault::storage

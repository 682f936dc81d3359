// relu: max(x, 0). A relu may carry an FT-ClipAct threshold from tune-clip
// (clip_threshold, used by the clip_act protection; 0 = none).
#include <cmath>

#include "common/input_error.h"
#include "nn/ops/activation.h"

namespace weightfault::nn {
namespace {

class ReluOp final : public ActivationOp {
 public:
  bool drops_nan() const override { return true; }  // max/min-based: NaN becomes 0
  std::string_view name() const override { return "relu"; }
  // The reference propagates NaN, as IEEE and PyTorch (docs/inference.md).
  float apply(const Layer&, float x) const override {
    return std::isnan(x) ? x : x > 0.0f ? x : 0.0f;
  }
  void apply_all(const Layer& layer, std::span<float> values) const override {
    for (auto& v : values) v = apply(layer, v);  // ReluOp is final: no call per value
  }
  Eltwise eltwise(const Layer&) const override {
    return {dnnl::algorithm::eltwise_relu, 0.0f, 0.0f};
  }
  void write_attributes(const h5::Object& group, const Layer& layer) const override {
    if (layer.clip_threshold > 0.0f)
      h5::write_double_attribute(group, "clip_threshold", layer.clip_threshold);
  }
  void read_attributes(const h5::Object& group, Layer& layer) const override {
    if (!h5::has_attribute(group, "clip_threshold")) return;
    layer.clip_threshold = static_cast<float>(h5::read_double_attribute(group, "clip_threshold"));
    if (!(layer.clip_threshold > 0.0f))
      throw InputError(fmt::format("{}: clip_threshold must be positive", group.where()));
  }
};

}  // namespace

const Op& relu_op() {
  static const ReluOp op;
  return op;
}

}  // namespace weightfault::nn

// Shared by ops whose output holds the input's values in the same order
// (flatten, dropout at inference): training copies the values each way.
#pragma once

#include "nn/dnnl_util.h"
#include "nn/network.h"
#include "nn/op.h"

namespace weightfault::nn {

class CopyOp : public Op {
 public:
  void build_training(TrainingBuilder& b, std::size_t i) const override {
    // Same values, same order (flatten is CHW order): a copy forward, the gradient passes back.
    const dnnl::memory src = b.input(i, 0);
    const dnnl::memory view(src.get_desc(), b.engine(), b.output(i).get_data_handle());
    b.forward(dnnl::reorder(src, view), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, view}});
  }
  GradientFlow gradient_flow() const override { return GradientFlow::to_input; }
  std::vector<float> reference(const Layer&, const ReferenceInputs& in) const override {
    return *in.values.at(0);
  }
};

}  // namespace weightfault::nn

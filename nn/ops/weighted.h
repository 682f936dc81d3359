// Shared by the ops with a kernel and a bias (conv2d, dense): the argument maps
// of their forward primitive and their two backward primitives.
#pragma once

#include "nn/op.h"

namespace weightfault::nn {

inline Args weighted_forward_args(const dnnl::memory& src, const dnnl::memory& kernel,
                                  const dnnl::memory& bias, const dnnl::memory& dst) {
  return {
      {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, kernel}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}};
}

// Backward of layer i: gradients of kernel and bias, then of the input.
inline void add_weighted_backward(TrainingBuilder& b, std::size_t i,
                                  const dnnl::primitive& weights_backward,
                                  const dnnl::primitive& data_backward, const dnnl::memory& src,
                                  const TrainingBuilder::Param& kernel,
                                  const TrainingBuilder::Param& bias) {
  b.backward(weights_backward, {{DNNL_ARG_SRC, src},
                                {DNNL_ARG_DIFF_DST, b.output_gradient(i)},
                                {DNNL_ARG_DIFF_WEIGHTS, kernel.diff},
                                {DNNL_ARG_DIFF_BIAS, bias.diff}});
  b.backward(data_backward, {{DNNL_ARG_DIFF_DST, b.output_gradient(i)},
                             {DNNL_ARG_WEIGHTS, kernel.used},
                             {DNNL_ARG_DIFF_SRC, b.input_gradient(i)}});
}

}  // namespace weightfault::nn

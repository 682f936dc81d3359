// Shared by the element-wise activations (relu, clipped_relu, tanh): one oneDNN
// eltwise primitive forward and backward, fusable as a post-op of the conv/dense
// before it. Each activation's file gives its algorithm, attributes and loop.
#pragma once

#include <fmt/format.h>

#include <functional>

#include "nn/dnnl_util.h"
#include "nn/network.h"
#include "nn/op.h"

namespace weightfault::nn {

// Numeric attribute `key` of a layer, or `fallback`.
inline double number_of(const Layer& l, const std::string& key, double fallback) {
  const auto it = l.attributes.find(key);
  return it == l.attributes.end() ? fallback : it->second;
}
inline void write_numbers(const h5::Object& group, const Layer& l,
                          std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (l.attributes.count(key)) h5::write_double_attribute(group, key, l.attributes.at(key));
  }
}
inline void read_numbers(const h5::Object& group, Layer& l,
                         std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (h5::has_attribute(group, key)) l.attributes[key] = h5::read_double_attribute(group, key);
  }
}

class ActivationOp : public Op {
 public:
  Shape output_shape(const Layer& layer, std::span<const Shape* const> in) const override {
    check_attributes(layer);
    need_inputs(layer, in, 1);
    return *in[0];
  }
  virtual void check_attributes(const Layer& layer) const { (void)layer; }
  // The activation of one value (the plain-loop reference).
  virtual float apply(const Layer& layer, float x) const = 0;
  // apply() on every value (an op overrides it to save a call per value).
  virtual void apply_all(const Layer& layer, std::span<float> values) const {
    for (auto& v : values) v = apply(layer, v);
  }
  virtual Eltwise eltwise(const Layer& layer) const = 0;

  std::optional<Eltwise> post_op(const Layer& layer) const override { return eltwise(layer); }

  void build_inference(InferenceBuilder& b, std::size_t i) const override {
    const auto [alg, alpha, beta] = eltwise(b.network().layer(i));
    const dnnl::memory src = b.input(i, 0);
    const dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, alg, src.get_desc(),
                                           alpha, beta);
    const dnnl::eltwise_forward::primitive_desc pd(desc, b.engine());
    const dnnl::memory out(pd.dst_desc(), b.engine());
    b.add_step(dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out}});
    b.set_output(i, out);
  }

  void build_training(TrainingBuilder& b, std::size_t i) const override {
    const auto [alg, alpha, beta] = eltwise(b.network().layer(i));
    const dnnl::memory src = b.input(i, 0);
    const dnnl::eltwise_forward::desc fd(dnnl::prop_kind::forward_training, alg, src.get_desc(),
                                         alpha, beta);
    const dnnl::eltwise_forward::primitive_desc fpd(fd, b.engine());
    b.forward(dnnl::eltwise_forward(fpd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, b.output(i)}});
    const dnnl::eltwise_backward::desc bd(alg, src.get_desc(), src.get_desc(), alpha, beta);
    b.backward(dnnl::eltwise_backward(dnnl::eltwise_backward::primitive_desc(bd, b.engine(), fpd)),
               {{DNNL_ARG_SRC, src},
                {DNNL_ARG_DIFF_DST, b.output_gradient(i)},
                {DNNL_ARG_DIFF_SRC, b.input_gradient(i)}});
  }

  std::vector<float> reference(const Layer& layer, const ReferenceInputs& in) const override {
    std::vector<float> y = *in.values.at(0);
    apply_all(layer, y);
    return y;
  }
};

}  // namespace weightfault::nn

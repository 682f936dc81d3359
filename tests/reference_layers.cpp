#include "tests/reference_layers.h"

#include "nn/op.h"

namespace weightfault::reference {

std::vector<std::vector<float>> forward(const nn::Network& net, const std::vector<float>& input,
                                        std::size_t batch) {
  std::vector<std::vector<float>> out(net.size());
  for (const auto i : net.topological_order()) {
    const nn::Layer& l = net.layer(i);
    nn::ReferenceInputs in;
    in.batch = batch;
    in.output_shape = net.output_shape(i);
    for (const auto k : net.inputs_of(i)) {
      in.values.push_back(&out[k]);
      in.shapes.push_back(net.output_shape(k));
    }
    if (in.values.empty()) {  // the input layer reads the network input
      in.values.push_back(&input);
      in.shapes.push_back(net.output_shape(i));
    }
    out[i] = nn::op_of(l).reference(l, in);
  }
  return out;
}

std::vector<float> logits(const nn::Network& net, const std::vector<float>& input,
                          std::size_t batch) {
  auto all = forward(net, input, batch);
  const auto out = net.output_layer();
  const auto which = net.layer(out).op == "softmax" ? net.inputs_of(out).front() : out;
  return all[which];
}

}  // namespace weightfault::reference

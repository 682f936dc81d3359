// Questions: is the graph executed in a valid topological order whatever the
// order layers were added in (incl. a residual add)? Are broken graphs and
// wrong weight shapes rejected with a message naming the layer?
#include <doctest/doctest.h>

#include <algorithm>

#include "common/input_error.h"
#include "nn/network.h"
#include "tests/fixtures.h"

namespace wf = weightfault;
using wf::test::make_layer;

namespace {

std::vector<wf::nn::Layer> residual_layers() {
  wf::SplitMix64 rng(1);
  return {wf::test::make_input({4, 6, 6}),
          wf::test::make_conv("a", "input", 4, 4, 3, 1, {1, 1, 1, 1}, rng),
          make_layer("a_relu", "relu", {"a"}),
          wf::test::make_conv("b", "a_relu", 4, 4, 3, 1, {1, 1, 1, 1}, rng),
          make_layer("sum", "add", {"b", "input"}),
          make_layer("gap", "global_avg_pool", {"sum"}),
          wf::test::make_dense("fc", "gap", 4, 3, rng)};
}

void check_topological(const wf::nn::Network& net) {
  const auto& order = net.topological_order();
  REQUIRE(order.size() == net.size());
  std::vector<std::size_t> position(net.size());
  for (std::size_t k = 0; k < order.size(); ++k) position[order[k]] = k;
  for (std::size_t i = 0; i < net.size(); ++i) {
    for (auto j : net.inputs_of(i)) CHECK(position[j] < position[i]);
  }
}

}  // namespace

TEST_CASE(
    "layers run in topological order whatever order they were added in, incl. a residual add") {
  auto layers = residual_layers();
  for (int permutation = 0; permutation < 24; ++permutation) {
    wf::nn::Network net;
    for (const auto& l : layers) net.add_layer(l);
    net.finalize();
    check_topological(net);
    CHECK(net.layer(net.input_layer()).name == "input");
    CHECK(net.layer(net.output_layer()).name == "fc");
    CHECK(net.output_shape(net.index_of("sum")) == wf::nn::Shape{4, 6, 6});
    CHECK(net.consumers_of(net.index_of("input")).size() == 2);
    CHECK(boost::num_edges(net.graph()) == 7);
    std::next_permutation(layers.begin(), layers.end(),
                          [](const auto& x, const auto& y) { return x.name < y.name; });
  }
}

TEST_CASE("a cycle is rejected") {
  wf::nn::Network net;
  net.add_layer(wf::test::make_input({3}));
  net.add_layer(make_layer("a", "add", {"input", "b"}));
  net.add_layer(make_layer("b", "relu", {"a"}));
  net.add_layer(make_layer("out", "softmax", {"b"}));
  CHECK_THROWS_WITH_AS(net.finalize(), "network graph has a cycle", wf::InputError);
}

TEST_CASE("unknown inputs, duplicate names and wrong shapes name the layer") {
  wf::SplitMix64 rng(2);
  {
    wf::nn::Network net;
    net.add_layer(wf::test::make_input({3}));
    net.add_layer(make_layer("r", "relu", {"nowhere"}));
    CHECK_THROWS_WITH_AS(net.finalize(), "layer 'r' (relu): input 'nowhere' is not a layer",
                         wf::InputError);
  }
  {
    wf::nn::Network net;
    net.add_layer(wf::test::make_input({3}));
    net.add_layer(make_layer("input", "relu", {"input"}));
    CHECK_THROWS_WITH_AS(net.finalize(), "two layers are named 'input'", wf::InputError);
  }
  {
    wf::nn::Network net;
    net.add_layer(wf::test::make_input({1, 8, 8}));
    net.add_layer(
        wf::test::make_conv("conv", "input", 2, 4, 3, 1, {0, 0, 0, 0}, rng));  // expects 2 channels
    net.add_layer(make_layer("flat", "flatten", {"conv"}));
    CHECK_THROWS_WITH_AS(
        net.finalize(),
        "layer 'conv' (conv2d): weight 'kernel' has shape [4, 2, 3, 3], expected [4, 1, 3, 3]",
        wf::InputError);
  }
  {
    wf::nn::Network net;
    net.add_layer(wf::test::make_input({1, 8, 8}));
    net.add_layer(wf::test::make_dense("fc", "input", 64, 10, rng));
    // dense applies to the last axis of any input: its kernel must match that axis.
    CHECK_THROWS_WITH_AS(net.finalize(),
                         "layer 'fc' (dense): weight 'kernel' has shape [10, 64], expected [10, 8]",
                         wf::InputError);
  }
}

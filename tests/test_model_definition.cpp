// Question: do model-definition files build the network they describe, and
// does bad input name the file, line, key and rule?
#include <doctest/doctest.h>

#include "common/input_error.h"
#include "nn/model_definition.h"
#include "tests/fixtures.h"

namespace wf = weightfault;

namespace {

wf::nn::ModelDefinition load_text(const std::string& text) {
  return wf::test::load_definition_text(text, "model_definition");
}

const char* const kSmall = R"(name = "small"
input = [1, 28, 28]
[[layer]]
name = "conv"
op = "conv2d"
units = 4
kernel = 3
padding = "same"
[[layer]]
op = "relu"
[[layer]]
op = "max_pool"
kernel = 2
[[layer]]
op = "flatten"
[[layer]]
name = "out"
op = "dense"
units = 10
[[layer]]
op = "softmax"
[training]
epochs = 2
seed = 5
)";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  s.replace(s.find(from), from.size(), to);
  return s;
}

}  // namespace

TEST_CASE("a model definition builds its layers, shapes and seeded initial weights") {
  const auto def = load_text(kSmall);
  const auto& net = def.network;
  CHECK(net.name == "small");
  CHECK(net.output_shape(net.index_of("conv")) == wf::nn::Shape{4, 28, 28});  // same padding
  CHECK(net.output_shape(net.index_of("max_pool_3")) == wf::nn::Shape{4, 14, 14});
  CHECK(net.output_shape(net.index_of("out")) == wf::nn::Shape{10});
  CHECK(def.settings.epochs == 2);
  CHECK(def.settings.optimizer == "adam");
  // He-uniform kernel within +-sqrt(6 / fan_in), zero bias; the same seed gives the same weights.
  const auto& k = net.layer(net.index_of("conv")).params.at("kernel").values;
  const float limit = std::sqrt(6.0f / 9.0f);
  CHECK(*std::max_element(k.begin(), k.end()) <= limit);
  CHECK(*std::min_element(k.begin(), k.end()) >= -limit);
  CHECK(k == load_text(kSmall).network.layer(net.index_of("conv")).params.at("kernel").values);
  CHECK(k != load_text(replace(kSmall, "seed = 5", "seed = 6"))
                 .network.layer(net.index_of("conv"))
                 .params.at("kernel")
                 .values);
}

TEST_CASE("model definitions: bad input names the key, the rule and the value") {
  CHECK_THROWS_WITH_AS(load_text(replace(kSmall, "op = \"relu\"", "op = \"relou\"")),
                       doctest::Contains("m.toml:10:6: layer[1].op: expected one of: conv2d"),
                       wf::InputError);
  CHECK_THROWS_WITH_AS(load_text(replace(kSmall, "units = 4", "unit = 4")),
                       doctest::Contains("layer[0].unit: unknown key"), wf::InputError);
  CHECK_THROWS_WITH_AS(
      load_text(replace(kSmall, "epochs = 2", "epochs = 0")),
      doctest::Contains("training.epochs: expected an integer in [1, 1000]; got '0'"),
      wf::InputError);
  CHECK_THROWS_WITH_AS(load_text(replace(kSmall, "[training]", "[training]\noptimiser = \"sgd\"")),
                       doctest::Contains("training.optimiser: unknown key (known:"),
                       wf::InputError);
  CHECK_THROWS_WITH_AS(load_text(replace(kSmall, "name = \"out\"\nop = \"dense\"",
                                         "name = \"out\"\ninputs = [\"nowhere\"]\nop = \"dense\"")),
                       doctest::Contains("layer[4].inputs: expected names of layers defined above"),
                       wf::InputError);
  CHECK_THROWS_WITH_AS(load_text(replace(kSmall, "[[layer]]\nop = \"flatten\"\n", "")),
                       doctest::Contains("layer[3]: needs a flat [F] input"), wf::InputError);
}

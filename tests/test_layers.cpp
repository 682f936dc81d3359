// Question: does every layer computed by oneDNN match the plain-loop reference
// (tests/reference_layers.cpp) for several shapes, strides and paddings?
// Tolerance: |oneDNN - reference| <= 1e-4 * max|reference| + 1e-5, per layer
// (fp32 accumulation in a different order than the reference's fp64).
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>

#include "common/input_error.h"
#include "nn/inference_engine.h"
#include "nn/op.h"
#include "tests/fixtures.h"
#include "tests/reference_layers.h"

namespace wf = weightfault;
using wf::test::make_layer;

namespace {

void check_layers(const wf::nn::Network& net, std::size_t batch, std::uint64_t seed) {
  wf::SplitMix64 rng(seed);
  const auto& in_shape = net.output_shape(net.input_layer());
  std::size_t per_sample = 1;
  for (auto d : in_shape) per_sample *= static_cast<std::size_t>(d);
  const auto input = wf::test::random_values(batch * per_sample, rng);
  const auto expected = wf::reference::forward(net, input, batch);

  wf::nn::InferenceEngine engine(net, {.threads = 1, .batch = batch, .fuse_activations = false});
  std::vector<float> logits;
  engine.infer_normalized(input, batch, logits);
  for (const auto i : net.topological_order()) {
    const auto got = engine.layer_output(i);
    const auto& want = expected[i];
    REQUIRE(got.size() == want.size());
    float scale = 0.0f;
    for (float v : want) scale = std::max(scale, std::abs(v));
    float worst = 0.0f;
    for (std::size_t k = 0; k < got.size(); ++k)
      worst = std::max(worst, std::abs(got[k] - want[k]));
    INFO(fmt::format("layer '{}' ({}), batch {}: max |diff| {} at scale {}", net.layer(i).name,
                     net.layer(i).op, batch, worst, scale));
    CHECK(worst <= 1e-4f * scale + 1e-5f);
  }
  // With activations fused as post-ops, the class scores stay the same.
  wf::nn::InferenceEngine fused(net, {.threads = 1, .batch = batch, .fuse_activations = true});
  std::vector<float> fused_logits;
  fused.infer_normalized(input, batch, fused_logits);
  REQUIRE(fused_logits.size() == logits.size());
  for (std::size_t k = 0; k < logits.size(); ++k)
    CHECK(fused_logits[k] == doctest::Approx(logits[k]).epsilon(1e-4));
}

wf::nn::Layer pool_layer(const std::string& name, const std::string& op, const std::string& input,
                         std::int64_t k, std::int64_t s, std::array<std::int64_t, 4> pad) {
  auto l = make_layer(name, op, {input});
  l.kernel = {k, k};
  l.stride = {s, s};
  l.padding = pad;
  return l;
}

}  // namespace

TEST_CASE("conv2d matches the reference for several shapes, strides and paddings") {
  struct Case {
    std::int64_t c, h, o, k, s;
    std::array<std::int64_t, 4> pad;
  };
  for (const Case& c : {Case{1, 28, 4, 3, 1, {0, 0, 0, 0}}, Case{3, 9, 8, 3, 2, {0, 0, 1, 1}},
                        Case{5, 12, 16, 5, 1, {2, 2, 2, 2}}, Case{16, 6, 7, 1, 1, {0, 0, 0, 0}}}) {
    wf::SplitMix64 rng(static_cast<std::uint64_t>(c.c * 100 + c.k));
    wf::nn::Network net;
    net.add_layer(wf::test::make_input({c.c, c.h, c.h}));
    net.add_layer(wf::test::make_conv("conv", "input", c.c, c.o, c.k, c.s, c.pad, rng));
    net.add_layer(make_layer("flatten", "flatten", {"conv"}));
    net.finalize();
    check_layers(net, 3, 11);
  }
}

TEST_CASE("grouped, depthwise and dilated conv2d match the reference") {
  struct Case {
    std::int64_t c, o, groups, dilation, stride;
  };
  for (const Case k :
       {Case{4, 6, 2, 1, 1}, Case{3, 3, 3, 1, 2}, Case{3, 6, 3, 2, 1}, Case{2, 4, 1, 2, 1}}) {
    INFO("channels ", k.c, " -> ", k.o, ", groups ", k.groups, ", dilation ", k.dilation);
    wf::SplitMix64 rng(static_cast<std::uint64_t>(k.c * 100 + k.groups * 10 + k.dilation));
    wf::nn::Network net;
    net.add_layer(wf::test::make_input({k.c, 9, 9}));
    auto conv = make_layer("conv", "conv2d", {"input"});
    conv.units = k.o;
    conv.kernel = {3, 3};
    conv.stride = {k.stride, k.stride};
    conv.padding = {1, 2, 1, 0};
    conv.attributes["groups"] = static_cast<double>(k.groups);
    conv.attributes["dilation_h"] = conv.attributes["dilation_w"] = static_cast<double>(k.dilation);
    conv.params["kernel"] = {
        {k.o, k.c / k.groups, 3, 3},
        wf::test::random_values(static_cast<std::size_t>(k.o * k.c / k.groups * 9), rng)};
    conv.params["bias"] = {{k.o}, wf::test::random_values(static_cast<std::size_t>(k.o), rng)};
    net.add_layer(conv);
    net.add_layer(make_layer("flatten", "flatten", {"conv"}));
    net.finalize();
    check_layers(net, 3, 5);
  }
}

TEST_CASE("softmax over each per-sample axis of a [C, H, W] input matches the reference") {
  for (int axis = 0; axis < 3; ++axis) {
    INFO("axis ", axis);
    wf::nn::Network net;
    net.add_layer(wf::test::make_input({3, 4, 5}));
    auto softmax = make_layer("softmax", "softmax", {"input"});
    softmax.attributes["axis"] = axis;
    net.add_layer(softmax);
    net.add_layer(make_layer("flatten", "flatten", {"softmax"}));
    net.finalize();
    check_layers(net, 2, 21);
  }
}

TEST_CASE("dense, softmax and dropout match the reference") {
  for (const auto& [in, out] :
       {std::pair<std::int64_t, std::int64_t>{7, 5}, {100, 33}, {9216, 128}}) {
    wf::SplitMix64 rng(static_cast<std::uint64_t>(in));
    wf::nn::Network net;
    net.add_layer(wf::test::make_input({in}));
    net.add_layer(wf::test::make_dense("dense", "input", in, out, rng));
    net.add_layer(make_layer("dropout", "dropout", {"dense"}));
    net.add_layer(make_layer("softmax", "softmax", {"dropout"}));
    net.finalize();
    check_layers(net, 4, 12);
  }
}

TEST_CASE(
    "relu, clipped relu, tanh, sigmoid and leaky relu match the reference, unfused and fused") {
  for (const std::string op :
       {"relu", "clipped_relu", "tanh", "sigmoid", "leaky_relu", "hard_swish"}) {
    wf::SplitMix64 rng(13);
    wf::nn::Network net;
    net.add_layer(wf::test::make_input({2, 8, 8}));
    net.add_layer(wf::test::make_conv("conv", "input", 2, 6, 3, 1, {1, 1, 1, 1}, rng));
    auto act = make_layer("act", op, {"conv"});
    act.clip_max = 0.3f;
    act.attributes["alpha"] = 0.2;
    net.add_layer(act);
    net.add_layer(make_layer("flatten", "flatten", {"act"}));
    net.add_layer(wf::test::make_dense("dense", "flatten", 6 * 64, 10, rng));
    auto act2 = make_layer("act2", op, {"dense"});
    act2.clip_max = 0.2f;
    net.add_layer(act2);
    net.finalize();
    check_layers(net, 5, 14);
  }
}

TEST_CASE("max, average and global average pooling match the reference, padding excluded") {
  struct Case {
    std::string op;
    std::int64_t k, s;
    std::array<std::int64_t, 4> pad;
  };
  for (const Case& c : {Case{"max_pool", 2, 2, {0, 0, 0, 0}}, Case{"avg_pool", 2, 2, {0, 0, 0, 0}},
                        Case{"max_pool", 3, 2, {1, 1, 1, 1}}, Case{"avg_pool", 3, 2, {1, 1, 1, 1}},
                        Case{"avg_pool", 3, 1, {0, 0, 1, 1}}}) {
    wf::nn::Network net;
    net.add_layer(wf::test::make_input({3, 11, 11}));
    net.add_layer(pool_layer("pool", c.op, "input", c.k, c.s, c.pad));
    net.add_layer(make_layer("gap", "global_avg_pool", {"pool"}));
    net.finalize();
    check_layers(net, 2, 15);
  }
}

TEST_CASE("batch norm matches the reference on images and on flat features") {
  wf::SplitMix64 rng(16);
  wf::nn::Network net;
  net.add_layer(wf::test::make_input({4, 5, 5}));
  net.add_layer(wf::test::make_batch_norm("bn", "input", 4, rng));
  net.add_layer(make_layer("flatten", "flatten", {"bn"}));
  net.add_layer(wf::test::make_batch_norm("bn_flat", "flatten", 100, rng));
  net.finalize();
  check_layers(net, 3, 17);
}

TEST_CASE("a residual block (conv, bn, relu, add) matches the reference") {
  wf::SplitMix64 rng(18);
  wf::nn::Network net;
  net.add_layer(wf::test::make_input({3, 10, 10}));
  net.add_layer(wf::test::make_conv("stem", "input", 3, 8, 3, 1, {1, 1, 1, 1}, rng));
  net.add_layer(make_layer("stem_relu", "relu", {"stem"}));
  net.add_layer(wf::test::make_conv("conv_a", "stem_relu", 8, 8, 3, 1, {1, 1, 1, 1}, rng));
  net.add_layer(wf::test::make_batch_norm("bn_a", "conv_a", 8, rng));
  net.add_layer(make_layer("relu_a", "relu", {"bn_a"}));
  net.add_layer(wf::test::make_conv("conv_b", "relu_a", 8, 8, 3, 1, {1, 1, 1, 1}, rng));
  net.add_layer(make_layer("add", "add", {"conv_b", "stem_relu"}));
  net.add_layer(make_layer("relu_out", "relu", {"add"}));
  net.add_layer(make_layer("gap", "global_avg_pool", {"relu_out"}));
  net.add_layer(wf::test::make_dense("fc", "gap", 8, 10, rng));
  net.finalize();
  check_layers(net, 4, 19);
}

TEST_CASE("folding batch norm into the conv keeps the outputs") {
  wf::SplitMix64 rng(20);
  wf::nn::Network net;
  net.add_layer(wf::test::make_input({3, 10, 10}));
  net.add_layer(wf::test::make_conv("conv", "input", 3, 8, 3, 1, {1, 1, 1, 1}, rng));
  net.add_layer(wf::test::make_batch_norm("bn", "conv", 8, rng));
  net.add_layer(make_layer("relu", "relu", {"bn"}));
  net.add_layer(make_layer("flatten", "flatten", {"relu"}));
  net.finalize();
  const auto folded = wf::nn::fold_batch_norm(net);
  CHECK(folded.size() == net.size() - 1);
  CHECK(folded.layer(folded.inputs_of(folded.index_of("relu")).front()).name == "conv");
  wf::SplitMix64 data_rng(21);
  const auto input = wf::test::random_values(2 * 300, data_rng);
  const auto want = wf::reference::logits(net, input, 2);
  const auto got = wf::reference::logits(folded, input, 2);
  REQUIRE(want.size() == got.size());
  for (std::size_t k = 0; k < want.size(); ++k)
    CHECK(got[k] == doctest::Approx(want[k]).epsilon(1e-5));
  check_layers(folded, 2, 22);
}

TEST_CASE("a partial last batch gives the same scores as a full one") {
  const auto net = wf::test::tiny_mnist_network(23);
  wf::SplitMix64 rng(24);
  const auto input = wf::test::random_values(5 * 784, rng);
  wf::nn::InferenceEngine engine(net, {.threads = 1, .batch = 8});
  std::vector<float> five;
  engine.infer_normalized(input, 5, five);
  const auto want = wf::reference::logits(net, input, 5);
  REQUIRE(five.size() == 50);
  for (std::size_t k = 0; k < five.size(); ++k)
    CHECK(five[k] == doctest::Approx(want[k]).epsilon(1e-4));
}

namespace {

wf::nn::Layer with_list(wf::nn::Layer l, const std::string& key, std::vector<std::int64_t> v) {
  l.lists[key] = std::move(v);
  return l;
}
wf::nn::Layer with_number(wf::nn::Layer l, const std::string& key, double v) {
  l.attributes[key] = v;
  return l;
}
wf::nn::Layer parameter(const std::string& name, const wf::nn::Shape& shape, wf::SplitMix64& rng) {
  auto l = make_layer(name, "parameter", {"input"});
  std::size_t n = 1;
  for (auto d : shape) n *= static_cast<std::size_t>(d);
  l.params["value"] = {shape, wf::test::random_values(n, rng)};
  return l;
}

}  // namespace

TEST_CASE("an attention block's ops (sequences [T, D]) match the reference") {
  // Tokens [5, 8], two heads of 4: every op a small ViT imports, in the order it uses them.
  wf::SplitMix64 rng(31);
  wf::nn::Network net;
  net.add_layer(wf::test::make_input({5, 8}));
  net.add_layer(parameter("position", {5, 8}, rng));
  net.add_layer(make_layer("embedded", "add", {"input", "position"}));
  auto norm = make_layer("norm", "layer_norm", {"embedded"});
  norm.epsilon = 1e-5f;
  norm.params["gamma"] = {{8}, wf::test::random_values(8, rng)};
  norm.params["beta"] = {{8}, wf::test::random_values(8, rng)};
  net.add_layer(norm);
  net.add_layer(wf::test::make_dense("qkv", "norm", 8, 24, rng));
  for (int k = 0; k < 3; ++k) {
    const std::string part = std::string("qkv").substr(static_cast<std::size_t>(k), 1);
    net.add_layer(with_list(with_list(make_layer(part, "slice", {"qkv"}), "starts", {0, 8 * k}),
                            "ends", {5, 8 * k + 8}));
    net.add_layer(with_list(make_layer(part + "_heads", "reshape", {part}), "shape", {5, 2, 4}));
    net.add_layer(with_list(
        make_layer(part + "_t", "transpose", {part + "_heads"}), "perm",
        k == 1 ? std::vector<std::int64_t>{1, 2, 0} : std::vector<std::int64_t>{1, 0, 2}));
  }
  net.add_layer(make_layer("scores", "matmul", {"q_t", "k_t"}));
  net.add_layer(with_number(make_layer("scaled", "affine", {"scores"}), "scale", 0.5));
  net.add_layer(with_number(make_layer("weights", "softmax", {"scaled"}), "axis", 2));
  net.add_layer(make_layer("attended", "matmul", {"weights", "v_t"}));
  net.add_layer(with_list(make_layer("merged_t", "transpose", {"attended"}), "perm", {1, 0, 2}));
  net.add_layer(with_list(make_layer("merged", "reshape", {"merged_t"}), "shape", {5, 8}));
  net.add_layer(make_layer("residual", "add", {"embedded", "merged"}));
  net.add_layer(wf::test::make_dense("mlp", "residual", 8, 8, rng));
  net.add_layer(make_layer("gelu", "gelu", {"mlp"}));
  net.add_layer(parameter("cls", {1, 8}, rng));
  net.add_layer(with_number(make_layer("tokens", "concat", {"cls", "gelu"}), "axis", 0));
  net.add_layer(with_number(
      with_number(with_list(make_layer("first", "gather", {"tokens"}), "indices", {0}), "axis", 0),
      "scalar", 1));
  net.add_layer(wf::test::make_dense("head", "first", 8, 4, rng));
  net.finalize();
  CHECK(net.output_shape(net.index_of("scores")) == wf::nn::Shape{2, 5, 5});
  CHECK(net.output_shape(net.index_of("tokens")) == wf::nn::Shape{6, 8});
  CHECK(net.output_shape(net.index_of("first")) == wf::nn::Shape{8});
  check_layers(net, 3, 32);
}

TEST_CASE("broadcasting binaries, reductions and element-wise ops match the reference") {
  // [3, 4, 5] against [4, 5], [4, 1] and [1]-shaped operands; a layer norm written out.
  wf::SplitMix64 rng(33);
  wf::nn::Network net;
  net.add_layer(wf::test::make_input({3, 4, 5}));
  net.add_layer(parameter("row", {4, 5}, rng));
  net.add_layer(make_layer("mul", "mul", {"input", "row"}));
  net.add_layer(with_number(with_list(make_layer("mean", "reduce_mean", {"mul"}), "axes", {2}),
                            "keepdims", 1));
  net.add_layer(make_layer("centered", "sub", {"mean", "mul"}));  // first input broadcasts
  net.add_layer(with_number(make_layer("square", "pow", {"centered"}), "exponent", 2.0));
  net.add_layer(with_number(make_layer("lifted", "affine", {"square"}), "shift", 1.0));
  net.add_layer(make_layer("root", "sqrt", {"lifted"}));
  net.add_layer(make_layer("ratio", "div", {"centered", "root"}));
  net.add_layer(with_number(with_number(make_layer("hs", "hard_sigmoid", {"ratio"}), "alpha", 0.3),
                            "beta", 0.4));
  net.add_layer(with_number(with_list(make_layer("pooled", "reduce_mean", {"hs"}), "axes", {0, 2}),
                            "keepdims", 0));
  net.add_layer(parameter("k", {3, 4, 2}, rng));
  net.add_layer(parameter("w", {2, 6}, rng));
  net.add_layer(make_layer("kw", "matmul", {"k", "w"}));  // [3, 4, 2] x [2, 6]: broadcast
  net.add_layer(with_list(make_layer("kw_flat", "reshape", {"kw"}), "shape", {72}));
  net.add_layer(wf::test::make_dense("fold", "kw_flat", 72, 4, rng));
  net.add_layer(make_layer("out", "add", {"pooled", "fold"}));
  net.finalize();
  CHECK(net.output_shape(net.index_of("pooled")) == wf::nn::Shape{4});
  check_layers(net, 2, 34);
}

TEST_CASE("a first input that would need broadcasting is refused for div") {
  wf::nn::Network net;
  wf::SplitMix64 rng(35);
  net.add_layer(wf::test::make_input({4, 5}));
  net.add_layer(parameter("row", {5}, rng));
  net.add_layer(make_layer("q", "div", {"row", "input"}));
  CHECK_THROWS_WITH_AS(net.finalize(),
                       doctest::Contains("layer 'q' (div): broadcasting inputs [5] and [4, 5]"),
                       wf::InputError);
}

TEST_CASE("every registered op is checked against its plain-loop reference in this file") {
  // A new op (one file in nn/ops/ and one registry line) fails here until a test above
  // builds a network with it (directly or through a tests/fixtures.cpp builder) and
  // compares oneDNN with the op's reference loops.
  const auto source = [](const char* file) {
    std::ifstream in(wf::test::data_root().parent_path() / "tests" / file);
    REQUIRE(in);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const std::string self = source("test_layers.cpp");
  const std::string text =
      self.substr(0, self.find("TEST_CASE(\"every registered op")) + source("fixtures.cpp");
  for (const auto& name : wf::nn::known_layer_op_names()) {
    INFO(name);
    CHECK(text.find("\"" + name + "\"") != std::string::npos);
  }
}

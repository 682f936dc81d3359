// Questions: does a sub-model run the network without its detached layers, so
// that a dropped residual block equals the block contributing zero? Are bad
// sub-models rejected with the layer named? Does training with sub-models
// update with the loss-weighted mean of the models' gradients? Does the
// layer_drop CRC detect what changed, and does a campaign with layer_drop read
// the sub-model when a detachable layer's memory is corrupted?
#include <doctest/doctest.h>

#include <fstream>

#include "common/hdf5_file.h"
#include "common/input_error.h"
#include "nn/dataset.h"
#include "nn/evaluation.h"
#include "nn/inference_engine.h"
#include "nn/model_definition.h"
#include "nn/model_file.h"
#include "nn/submodel.h"
#include "nn/trainer.h"
#include "sim/campaign.h"
#include "sim/network_storage.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "tests/fixtures.h"

namespace wf = weightfault;
namespace h5 = wf::h5;

namespace {

// A residual network: stem conv, one identity-skip block, classifier.
const char* const kResidual = R"(name = "residual"
input = [1, 28, 28]
[[layer]]
name = "stem"
op = "conv2d"
units = 4
kernel = 3
padding = "same"
[[layer]]
name = "stem_relu"
op = "relu"
[[layer]]
name = "a"
op = "conv2d"
units = 4
kernel = 3
padding = "same"
[[layer]]
name = "a_relu"
op = "relu"
[[layer]]
name = "b"
op = "conv2d"
units = 4
kernel = 3
padding = "same"
[[layer]]
name = "add"
op = "add"
inputs = ["b", "stem_relu"]
[[layer]]
name = "out_relu"
op = "relu"
[[layer]]
op = "max_pool"
kernel = 4
[[layer]]
op = "flatten"
[[layer]]
name = "fc"
op = "dense"
units = 10
[[layer]]
op = "softmax"
[[submodel]]
name = "without_block"
drop = ["a", "a_relu", "b", "add"]
[training]
seed = 3
)";

// An MLP whose middle layer can be detached.
const char* const kMlp = R"(name = "mlp"
input = [1, 28, 28]
[[layer]]
op = "flatten"
[[layer]]
name = "h1"
op = "dense"
units = 32
[[layer]]
name = "h1_relu"
op = "relu"
[[layer]]
name = "h2"
op = "dense"
units = 32
[[layer]]
name = "h2_relu"
op = "relu"
[[layer]]
name = "out"
op = "dense"
units = 10
[[layer]]
op = "softmax"
[[submodel]]
name = "without_h2"
drop = ["h2", "h2_relu"]
[training]
epochs = 1
batch = 32
learning_rate = 0.01
weight_decay = 0.0
schedule = "constant"
threads = 1
seed = 4
)";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  s.replace(s.find(from), from.size(), to);
  return s;
}

wf::nn::ModelDefinition load_text(const std::string& text, const std::string& dir = "submodels") {
  return wf::test::load_definition_text(text, dir);
}

std::vector<float> logits_of(const wf::nn::Network& net, const wf::nn::Dataset& data) {
  wf::nn::InferenceEngine engine(net, {.threads = 1, .batch = data.size()});
  std::vector<float> logits;
  engine.infer(data.pixels, data.size(), logits);
  return logits;
}

}  // namespace

TEST_CASE("a dropped residual block equals the block adding zero; consumers read the skip") {
  const auto def = load_text(kResidual);
  const auto& net = def.network;
  const auto sub = wf::nn::without_layers(net, net.submodels.at(0).drop);
  CHECK(sub.size() == net.size() - 4);
  CHECK(sub.layer(sub.index_of("out_relu")).inputs == std::vector<std::string>{"stem_relu"});
  CHECK_THROWS_AS((void)sub.index_of("add"), wf::InputError);

  // In the base network, a zero kernel and bias in conv b make add = skip.
  auto zeroed = net;
  auto& b = zeroed.mutable_layer(zeroed.index_of("b"));
  for (auto& [role, t] : b.params) std::fill(t.values.begin(), t.values.end(), 0.0f);
  const auto data = wf::nn::load_dataset(wf::test::data_root(), "mnist", "test", 64);
  const auto expected = logits_of(zeroed, data);
  const auto got = logits_of(sub, data);
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]));
  // Control: the base network with its block differs.
  CHECK(logits_of(net, data) != got);
}

TEST_CASE("sub-models that change a shape or name unknown layers are rejected with the layer") {
  const auto def = load_text(kResidual);
  CHECK_THROWS_WITH_AS(
      (void)wf::nn::without_layers(def.network, {"stem"}),
      doctest::Contains("layer 'stem' cannot be dropped: its output [4, 28, 28] differs"),
      wf::InputError);
  CHECK_THROWS_WITH_AS((void)wf::nn::without_layers(def.network, {"fc", "softmax_11"}),
                       doctest::Contains("is the network's output"), wf::InputError);
  CHECK_THROWS_WITH_AS(
      load_text(
          replace(kResidual, "drop = [\"a\", \"a_relu\", \"b\", \"add\"]", "drop = [\"stem\"]")),
      doctest::Contains("submodel[0].drop: sub-model 'without_block': layer 'stem' cannot be"),
      wf::InputError);
  CHECK_THROWS_WITH_AS(load_text(replace(kResidual, "name = \"without_block\"",
                                         "name = \"without_block\"\nloss_weigth = 2")),
                       doctest::Contains("submodel[0].loss_weigth: unknown key"), wf::InputError);
  CHECK_THROWS_WITH_AS(load_text(replace(kResidual, "\"b\", \"add\"]", "\"b\", \"ad\"]")),
                       doctest::Contains("'ad'"), wf::InputError);
}

TEST_CASE("drop_set_for picks the smallest sub-model covering the failed layers") {
  wf::nn::Network net;
  net.submodels = {{"no_h2", {"h2", "h2_relu"}},
                   {"no_h3", {"h3", "h3_relu"}},
                   {"no_h2_h3", {"h2", "h2_relu", "h3", "h3_relu"}}};
  using V = std::vector<std::string>;
  CHECK(wf::nn::drop_set_for(net, {"h2"}) == V{"h2", "h2_relu"});
  CHECK(wf::nn::drop_set_for(net, {"h2", "h3"}) == V{"h2", "h2_relu", "h3", "h3_relu"});
  CHECK(wf::nn::drop_set_for(net, {"h1"}).empty());  // not detachable
  CHECK(wf::nn::drop_set_for(net, {"h1", "h3"}) == V{"h3", "h3_relu"});
  net.submodels.pop_back();  // no sub-model drops both: the union of the smallest ones
  CHECK(wf::nn::drop_set_for(net, {"h3", "h2"}) == V{"h2", "h2_relu", "h3", "h3_relu"});
}

TEST_CASE("sub-models survive the model file and batch-norm folding") {
  auto text =
      replace(kResidual, "[[layer]]\nname = \"a_relu\"",
              "[[layer]]\nname = \"a_bn\"\nop = \"batch_norm\"\n[[layer]]\nname = \"a_relu\"");
  text = replace(text, "drop = [\"a\",", "drop = [\"a\", \"a_bn\",");
  const auto def = load_text(text);
  const auto path = wf::test::fresh_dir("submodel_file") / "m.h5";
  wf::nn::save_model(def.network, path);
  const auto raw = wf::nn::load_model(path, false);
  REQUIRE(raw.submodels.size() == 1);
  CHECK(raw.submodels[0].name == "without_block");
  CHECK(raw.submodels[0].drop == std::vector<std::string>{"a", "a_bn", "a_relu", "b", "add"});
  const auto folded = wf::nn::load_model(path);  // a_bn folded into a
  CHECK(folded.submodels[0].drop == std::vector<std::string>{"a", "a_relu", "b", "add"});
  CHECK(wf::nn::droppable_layers(folded) == std::vector<std::string>{"a", "a_relu", "add", "b"});
}

TEST_CASE("training with sub-models applies the loss-weighted mean of the models' gradients") {
  const auto dir = wf::test::fresh_dir("submodel_training");
  const auto train = [&](const std::string& text, const std::string& name) {
    auto def = load_text(text, "submodel_training_" + name);
    wf::nn::TrainOptions options;
    options.output = dir / (name + ".h5");
    options.data_root = wf::test::data_root();
    options.limit = 320;
    options.command = "test";
    const auto report = wf::nn::train_model(def, options);
    return std::make_pair(wf::nn::load_model(options.output), report);
  };
  const auto kernel = [](const wf::nn::Network& net, const std::string& layer) {
    return net.layer(net.index_of(layer)).params.at("kernel").values;
  };
  const auto initial = load_text(kMlp, "submodel_training_init").network;
  // Sub-model weight 0: exactly the plain training of the base model.
  const auto [plain, plain_report] = train(
      replace(kMlp, "[[submodel]]\nname = \"without_h2\"\ndrop = [\"h2\", \"h2_relu\"]\n", ""),
      "plain");
  const auto [zero_sub, zero_report] =
      train(replace(kMlp, "drop = [\"h2\", \"h2_relu\"]",
                    "drop = [\"h2\", \"h2_relu\"]\nloss_weight = 0"),
            "zero_sub");
  CHECK(kernel(zero_sub, "h1") == kernel(plain, "h1"));
  CHECK(kernel(zero_sub, "h2") == kernel(plain, "h2"));
  REQUIRE(zero_report.submodel_test_accuracy.size() == 1);
  // Base weight 0: only the sub-model learns, so the detached layer never moves.
  const auto [only_sub, only_report] = train(
      replace(kMlp, "weight_decay = 0.0", "weight_decay = 0.0\nbase_loss_weight = 0"), "only_sub");
  CHECK(kernel(only_sub, "h2") == kernel(initial, "h2"));
  CHECK(kernel(only_sub, "h1") != kernel(initial, "h1"));
  CHECK(only_report.submodel_test_accuracy.at(0) > 0.5);  // 10 batches already beat chance
  // Equal weights: the detached layer learns, and differently from plain training.
  const auto [both, both_report] = train(kMlp, "both");
  CHECK(kernel(both, "h2") != kernel(initial, "h2"));
  CHECK(kernel(both, "h1") != kernel(plain, "h1"));
  const auto record = nlohmann::json::parse(both.training);
  CHECK(record.at("submodels").at(0).at("name") == "without_h2");
  CHECK(record.at("submodels").at(0).at("test_accuracy").get<double>() ==
        both_report.submodel_test_accuracy.at(0));
}

TEST_CASE("layer_drop stores a CRC per chunk of detachable layers and detects changed words") {
  const auto def = load_text(kMlp, "layer_drop_crc");
  const wf::memory::Geometry geometry{};
  const wf::memory::AddressMapping mapping(geometry, "RoBaRaCoCh");
  auto protection = wf::storage::make_protection("layer_drop");
  wf::storage::DTypeSpec fp32{wf::storage::dtype_named("fp32"), {}, false};
  const auto image = wf::sim::store_network(def.network, protection, fp32,
                                            wf::memory::PlacementPolicy::packed, mapping);
  REQUIRE(image.has_chunk_checks());
  std::size_t h2_kernel = SIZE_MAX, weights = 0, crc_words = 0;
  for (std::size_t t = 0; t < image.tensors().size(); ++t) {
    const auto& st = image.tensors()[t];
    const auto& name = st.owner;
    weights += st.elements;
    CHECK((st.check != nullptr) == (name == "h2"));
    crc_words += st.check_chunks();
    if (name == "h2" && st.role == "kernel") h2_kernel = t;
  }
  // Overhead: one 32-bit CRC per 256 weights of h2 (kernel 1024 weights, bias 32).
  CHECK(crc_words == 4 + 1);
  CHECK(image.bits_per_weight() == doctest::Approx(32.0 + 32.0 * static_cast<double>(crc_words) /
                                                              static_cast<double>(weights)));
  auto bytes = image.golden_bytes();
  const auto& st = image.tensors()[h2_kernel];
  for (std::size_t c = 0; c < st.check_chunks(); ++c)
    CHECK(image.chunk_intact(h2_kernel, c, bytes));
  // One flipped bit in weight 300 (chunk 1), then one in the CRC word of chunk 3.
  const std::uint64_t data_bit = image.placement().first_bit(st.segment) + 300 * 32 + 30;
  bytes[data_bit / 8] ^= static_cast<std::uint8_t>(1u << (data_bit % 8));
  const auto at = image.placement().locate(data_bit).value();
  const auto range = image.chunks_of(at.segment, at.word);
  CHECK(range.tensor == h2_kernel);
  CHECK(range.first == 1);
  CHECK(range.last == 2);
  CHECK_FALSE(image.chunk_intact(h2_kernel, 1, bytes));
  CHECK(image.chunk_intact(h2_kernel, 0, bytes));
  const std::uint64_t crc_bit = image.placement().first_bit(st.check->segment) + 3 * 32 + 5;
  bytes[crc_bit / 8] ^= static_cast<std::uint8_t>(1u << (crc_bit % 8));
  CHECK_FALSE(image.chunk_intact(h2_kernel, 3, bytes));
  CHECK(image.chunk_intact(h2_kernel, 2, bytes));
  // A model without sub-models cannot use layer_drop; codes do not combine with it.
  CHECK_THROWS_WITH_AS(wf::sim::store_network(wf::test::tiny_mnist_network(1), protection, fp32,
                                              wf::memory::PlacementPolicy::packed, mapping),
                       doctest::Contains("has no sub-models"), wf::InputError);
  // With secded, the CRC sees the corrected words: one flip passes, two in a codeword fail.
  const auto coded =
      wf::sim::store_network(def.network, wf::storage::make_protection("layer_drop+secded"), fp32,
                             wf::memory::PlacementPolicy::packed, mapping);
  const auto& ct = coded.tensors()[h2_kernel];
  auto coded_bytes = coded.golden_bytes();
  const auto flip_at = [&](std::uint64_t bit) {
    coded_bytes[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  };
  const std::uint64_t w300 = coded.placement().first_bit(ct.segment) + 300 * 32;
  flip_at(w300 + 30);
  CHECK(coded.chunk_intact(h2_kernel, 1, coded_bytes));
  const std::uint64_t check_bit = coded.placement().first_bit(ct.code->segment) + 10 * 8 + 2;
  flip_at(check_bit);  // codeword 10 (weights 20, 21) of chunk 0: corrected
  const auto at_check = coded.placement().locate(check_bit).value();
  CHECK(coded.chunks_of(at_check.segment, at_check.word).first == 0);
  CHECK(coded.chunk_intact(h2_kernel, 0, coded_bytes));
  flip_at(w300 + 32 + 3);  // weight 301 shares the 64-bit codeword of weight 300
  CHECK_FALSE(coded.chunk_intact(h2_kernel, 1, coded_bytes));
}

TEST_CASE("campaign: with one layer's memory corrupted, layer_drop reads the trained sub-model") {
  const auto dir = wf::test::fresh_dir("layer_drop_campaign");
  const auto model = wf::test::data_root() / "models" / "mlp_mnist_subnet.h5";
  const auto path = dir / "scenario.toml";
  std::ofstream(path) << "[model]\nfile = \"" << model.string() << R"("
[dataset]
name = "mnist"
limit = 500
[memory]
rows = 4096
target_layers = ["h3"]
[[fault_model]]
name = "uniform_ber"
[sweep]
ber = [1e-3]
[campaign]
dtypes = ["fp32"]
protections = ["none", "layer_drop"]
trials = 3
seed = 11
batch = 500
output = ")" << (dir / "out.h5").string()
                      << "\"\n";
  const auto sc = wf::sim::load_scenario(path, wf::test::builtin_registry());
  wf::sim::CampaignOptions options;
  options.data_root = wf::test::data_root().string();
  wf::sim::run_campaign(sc, wf::test::builtin_registry(), options);

  // The sub-model without h3, clean, on the same images.
  const auto net = wf::nn::load_model(model);
  const auto sub = wf::nn::without_layers(net, {"h3", "h3_relu"});
  wf::nn::InferenceEngine engine(sub, {.threads = 1, .batch = 500});
  const auto data = wf::nn::load_dataset(wf::test::data_root(), "mnist", "test", 500);
  const auto expected = static_cast<std::int64_t>(wf::nn::evaluate(engine, data).correct);

  const auto f = h5::open_file(dir / "out.h5");
  const auto read = [&](const std::string& protection, const std::string& name) {
    return h5::read_int64s(
        h5::open_dataset(h5::open_group(f, "results/" + protection + "/fp32"), name));
  };
  // weights_changed and layers_dropped are [P][N][T][layers h1, h2, h3, out].
  const auto changed = read("none", "weights_changed");
  const auto dropped = read("layer_drop", "layers_dropped");
  for (std::size_t trial = 0; trial < 3; ++trial) {
    CHECK(changed[trial * 4 + 0] == 0);  // faults only in h3's words
    CHECK(changed[trial * 4 + 1] == 0);
    CHECK(changed[trial * 4 + 2] > 10);  // 1e-3 x 65792 weights x 32 bits
    CHECK(changed[trial * 4 + 3] == 0);
    CHECK(dropped == std::vector<std::int64_t>{0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0});
    CHECK(read("layer_drop", "correct")[trial] == expected);
    CHECK(read("none", "correct")[trial] < expected);  // reading corrupted h3 hurts
  }
  const auto report = wf::sim::report_results(dir / "out.h5", "table");
  CHECK(report.find("layer_drop: finished trials in which a failed CRC check ran a sub-model") !=
        std::string::npos);
  CHECK(report.find("100%  h3 100%") != std::string::npos);
  const auto json = nlohmann::json::parse(wf::sim::report_results(dir / "out.h5", "json"));
  CHECK(json.at("layer_drop").at(0).at("detached_by_layer").at("h3") == 1.0);
}

// Question: does each protection decode hand-placed faults as it claims?
// One test per protection, on stored images of a small random network.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "common/input_error.h"
#include "common/split_mix.h"
#include "nn/dataset.h"
#include "nn/inference_engine.h"
#include "nn/model_file.h"
#include "sim/clip_tuning.h"
#include "sim/network_storage.h"
#include "tests/fixtures.h"

namespace wf = weightfault;

namespace {

const wf::memory::AddressMapping& mapping() {
  static const wf::memory::AddressMapping m(wf::memory::Geometry{}, "RoBaRaCoCh");
  return m;
}

wf::storage::ProtectionSpec protection(
    const std::string& chain,
    std::initializer_list<std::pair<const char*, wf::ParamValue>> params = {}) {
  wf::ParamValues overrides;
  for (const auto& [k, v] : params) overrides.set(k, v);
  return wf::storage::make_protection(chain, overrides);
}

wf::storage::StoredImage image_of(const wf::nn::Network& net, const wf::storage::ProtectionSpec& p,
                                  const char* dtype) {
  return wf::sim::store_network(net, p, {wf::storage::dtype_named(dtype), {}, false},
                                wf::memory::PlacementPolicy::packed, mapping());
}

// The factor c a tensor's values were multiplied by before encoding (1 without scale).
float scale_factor(const wf::storage::StoredTensor& st) {
  float c = 1.0f;
  for (const auto& stage : st.stages) c = stage->before_encode(c);
  return c;
}

void flip(std::vector<std::uint8_t>& bytes, const wf::storage::StoredImage& image,
          std::size_t segment, std::uint64_t bit_in_segment) {
  const std::uint64_t linear = image.placement().first_bit(segment) + bit_in_segment;
  bytes[linear / 8] ^= static_cast<std::uint8_t>(1u << (linear % 8));
}

std::vector<float> decode_all(const wf::storage::StoredImage& image, std::size_t t,
                              const std::vector<std::uint8_t>& bytes) {
  std::vector<float> values(image.tensors()[t].elements);
  for (std::size_t g = 0; g < image.tensors()[t].groups(); ++g)
    image.decode_group(t, g, bytes, values);
  return values;
}

// The tiny network's dense kernel: tensor 2 (conv kernel, conv bias, dense kernel, dense bias).
constexpr std::size_t kDense = 2;

}  // namespace

TEST_CASE("secded corrects every single-bit error of a codeword and zeroes every double") {
  const auto net = wf::test::tiny_mnist_network(51);
  for (const char* dtype : {"fp32", "fp16", "q1.6"}) {
    INFO(dtype);
    const auto image = image_of(net, protection("secded"), dtype);
    const auto& st = image.tensors()[kDense];
    CHECK(st.group_elements == static_cast<std::size_t>(64 / st.dtype.bits()));
    const auto golden = image.golden_bytes();
    const auto want = image.golden_values(kDense);
    const std::size_t group = 3;
    // The 72 bits of codeword 3: 64 data bits, then its 8 check bits.
    const auto bit_of = [&](int k) -> std::pair<std::size_t, std::uint64_t> {
      if (k < 64) return {st.segment, group * 64 + static_cast<std::uint64_t>(k)};
      return {st.code->segment, group * 8 + static_cast<std::uint64_t>(k - 64)};
    };
    for (int a = 0; a < 72; ++a) {
      auto bytes = golden;
      flip(bytes, image, bit_of(a).first, bit_of(a).second);
      std::vector<float> values = want;
      CHECK(image.decode_group(kDense, group, bytes, values) == 0);
      REQUIRE(values == want);
      for (int b = a + 1; b < 72; b += 7) {
        auto twice = bytes;
        flip(twice, image, bit_of(b).first, bit_of(b).second);
        std::vector<float> v2 = want;
        REQUIRE(image.decode_group(kDense, group, twice, v2) == 1);
        for (std::size_t e = group * st.group_elements; e < (group + 1) * st.group_elements; ++e)
          REQUIRE(v2[e] == 0.0f);
      }
    }
  }
}

TEST_CASE("secded with policy 'keep' reads the raw bits of an uncorrectable word") {
  const auto net = wf::test::tiny_mnist_network(52);
  const auto image =
      image_of(net, protection("secded", {{"secded.policy", std::string("keep")}}), "fp32");
  auto bytes = image.golden_bytes();
  const auto& st = image.tensors()[kDense];
  flip(bytes, image, st.segment, 30);  // element 0, exponent MSB
  flip(bytes, image, st.segment, 33);  // element 1, bit 1
  const auto values = decode_all(image, kDense, bytes);
  const auto& gold = image.golden_values(kDense);
  CHECK(std::bit_cast<std::uint32_t>(values[0]) ==
        (std::bit_cast<std::uint32_t>(gold[0]) ^ (1u << 30)));
  CHECK(std::bit_cast<std::uint32_t>(values[1]) == (std::bit_cast<std::uint32_t>(gold[1]) ^ 2u));
}

TEST_CASE("parity_zero zeroes exactly the weights with an odd number of flips") {
  const auto net = wf::test::tiny_mnist_network(53);
  const auto image = image_of(net, protection("parity_zero"), "fp32");
  const auto& st = image.tensors()[kDense];
  auto bytes = image.golden_bytes();
  flip(bytes, image, st.segment, 0 * 32 + 30);  // weight 0: one flip -> zero
  flip(bytes, image, st.segment, 1 * 32 + 3);   // weight 1: two flips -> undetected
  flip(bytes, image, st.segment, 1 * 32 + 9);
  flip(bytes, image, st.segment, 2 * 32 + 1);  // weight 2: three flips -> zero
  flip(bytes, image, st.segment, 2 * 32 + 2);
  flip(bytes, image, st.segment, 2 * 32 + 31);
  flip(bytes, image, st.code->segment, 5);  // weight 5: its parity bit flipped -> zero
  const auto values = decode_all(image, kDense, bytes);
  const auto& gold = image.golden_values(kDense);
  CHECK(values[0] == 0.0f);
  CHECK(values[1] != 0.0f);
  CHECK(values[1] != gold[1]);
  CHECK(values[2] == 0.0f);
  CHECK(values[5] == 0.0f);
  for (std::size_t e = 3; e < values.size(); ++e) {
    if (e != 5) REQUIRE(values[e] == gold[e]);
  }
  // Word granularity: one parity bit per 64-bit word zeroes both fp32 weights of the word.
  const auto word = image_of(
      net, protection("parity_zero", {{"parity_zero.granularity", std::string("word")}}), "fp32");
  auto wbytes = word.golden_bytes();
  flip(wbytes, word, word.tensors()[kDense].segment, 6 * 32 + 4);
  const auto wvalues = decode_all(word, kDense, wbytes);
  CHECK(wvalues[6] == 0.0f);
  CHECK(wvalues[7] == 0.0f);
  CHECK(wvalues[8] == word.golden_values(kDense)[8]);
}

TEST_CASE("scale with c = 1 is bit-identical to none; the auto rule shrinks a bit-30 flip") {
  const auto net = wf::test::tiny_mnist_network(54);
  const auto none = image_of(net, protection("none"), "fp32");
  const auto one = image_of(
      net, protection("scale", {{"scale.c", std::string("value")}, {"scale.c_value", 1.0}}),
      "fp32");
  CHECK(none.golden_bytes() == one.golden_bytes());
  for (std::size_t t = 0; t < none.tensors().size(); ++t)
    CHECK(none.golden_values(t) == one.golden_values(t));

  const auto scaled = image_of(net, protection("scale"), "fp32");
  const auto& st = scaled.tensors()[kDense];
  CHECK(scale_factor(st) > 1.0f);
  CHECK(std::log2(scale_factor(st)) == std::floor(std::log2(scale_factor(st))));  // a power of two
  const std::size_t e = 17;
  auto a = none.golden_bytes();
  flip(a, none, none.tensors()[kDense].segment, e * 32 + 30);
  auto b = scaled.golden_bytes();
  flip(b, scaled, st.segment, e * 32 + 30);
  const float w = none.golden_values(kDense)[e];
  const float unprotected = decode_all(none, kDense, a)[e];
  const float protected_value = decode_all(scaled, kDense, b)[e];
  CHECK(std::abs(protected_value - w) < std::abs(unprotected - w));
  CHECK(std::abs(protected_value) <
        std::abs(w));  // the flip shrinks the weight instead of exploding it
}

TEST_CASE("scale for fixed point uses the largest c that does not saturate; int8_sym keeps c = 1") {
  const auto net = wf::test::tiny_mnist_network(55);
  const auto q = image_of(net, protection("scale"), "q1.6");
  const auto& values = net.layer(net.index_of("dense")).params.at("kernel").values;
  float max_abs = 0;
  for (float v : values) max_abs = std::max(max_abs, std::abs(v));
  CHECK(scale_factor(q.tensors()[kDense]) == doctest::Approx(127.0 / 64.0 / max_abs));
  const auto i8 = image_of(net, protection("scale"), "int8_sym");
  CHECK(scale_factor(i8.tensors()[kDense]) == 1.0f);
}

TEST_CASE("clamp never lets a decoded weight leave its fault-free range, NaN included") {
  const auto net = wf::test::tiny_mnist_network(56);
  const auto image = image_of(net, protection("clamp"), "fp32");
  const auto& st = image.tensors()[kDense];
  auto bytes = image.golden_bytes();
  wf::SplitMix64 rng(57);
  for (int k = 0; k < 2000; ++k) flip(bytes, image, st.segment, rng.below(st.elements * 32));
  // A NaN pattern too: exponent all ones with a mantissa bit.
  for (int bit = 23; bit <= 30; ++bit) {
    const auto linear =
        image.placement().first_bit(st.segment) + 3 * 32 + static_cast<std::uint64_t>(bit);
    bytes[linear / 8] |= static_cast<std::uint8_t>(1u << (linear % 8));
  }
  const auto values = decode_all(image, kDense, bytes);
  const auto& fault_free = image.golden_values(kDense);
  const auto [lo, hi] = std::minmax_element(fault_free.begin(), fault_free.end());
  for (float v : values) {
    REQUIRE_FALSE(std::isnan(v));
    REQUIRE(v >= *lo);
    REQUIRE(v <= *hi);
  }
  CHECK(image.golden_values(kDense) ==
        image_of(net, protection("none"), "fp32").golden_values(kDense));
}

TEST_CASE(
    "protection chains: codes exclude each other, stages appear once, unknown names are listed") {
  std::vector<const wf::storage::ProtectionStageInfo*> stages;
  CHECK_FALSE(wf::storage::parse_protection_chain("scale+secded+clamp", stages).has_value());
  CHECK(stages.size() == 3);
  CHECK(wf::storage::parse_protection_chain("parity_zero+secded", stages)
            .value()
            .find("choose one") != std::string::npos);
  CHECK(wf::storage::parse_protection_chain("scale+scale", stages).value().find("twice") !=
        std::string::npos);
  CHECK(wf::storage::parse_protection_chain("ecc", stages)
            .value()
            .find("known: none, ondie_ecc, scale") != std::string::npos);
}

TEST_CASE("memory overhead: secded adds 8 bits per 64, parity one bit per weight") {
  const auto net = wf::test::tiny_mnist_network(58);
  const double base = image_of(net, protection("none"), "fp32").bits_per_weight();
  CHECK(base == 32.0);
  CHECK(image_of(net, protection("secded"), "fp32").bits_per_weight() ==
        doctest::Approx(36.0).epsilon(0.01));
  CHECK(image_of(net, protection("parity_zero"), "q1.6").bits_per_weight() ==
        doctest::Approx(9.0).epsilon(0.01));
}

TEST_CASE("clip_act thresholds come from the calibration split only") {
  const auto net = wf::nn::load_model(wf::test::mnist_cnn_path());
  wf::sim::ClipTuningOptions options;
  options.data_root = wf::test::data_root().string();
  options.images = 200;
  options.bers = {1e-5};
  options.draws = 1;
  options.fractions = {1.0, 0.5};
  options.batch = 200;
  const auto result = wf::sim::tune_clip_thresholds(net, options);
  REQUIRE(result.layers.size() == 3);
  CHECK(result.record.find("mnist/calibration") != std::string::npos);
  // The starting points are the maxima over exactly those calibration images, not the test images.
  const auto calib = wf::nn::load_dataset(wf::test::data_root(), "mnist", "calibration", 200);
  const auto test = wf::nn::load_dataset(wf::test::data_root(), "mnist", "test", 200);
  const auto maxima = [&](const wf::nn::Dataset& data) {
    wf::nn::InferenceEngine engine(net, {.threads = 1, .batch = 200, .fuse_activations = false});
    std::vector<float> logits;
    engine.infer(data.pixels, data.size(), logits);
    std::vector<float> out;
    for (const auto& l : result.layers) {
      const auto act = engine.layer_output(net.index_of(l.layer));
      out.push_back(*std::max_element(act.begin(), act.end()));
    }
    return out;
  };
  const auto from_calib = maxima(calib);
  const auto from_test = maxima(test);
  for (std::size_t r = 0; r < result.layers.size(); ++r) {
    CHECK(result.layers[r].max_activation == from_calib[r]);
    CHECK(result.layers[r].threshold > 0.0f);
    CHECK(result.layers[r].threshold <= result.layers[r].max_activation);
  }
  CHECK(from_calib != from_test);
  // The clipped network really clips: with_clipped_relus turns every tuned relu into a clipped
  // relu.
  auto tuned = net;
  for (const auto& l : result.layers)
    tuned.mutable_layer(tuned.index_of(l.layer)).clip_threshold = l.threshold;
  const auto clipped = wf::nn::with_clipped_relus(tuned);
  for (const auto& l : result.layers) {
    const auto& layer = clipped.layer(clipped.index_of(l.layer));
    CHECK(layer.op == "clipped_relu");
    CHECK(layer.clip_max == l.threshold);
  }
  CHECK_THROWS_WITH_AS(wf::nn::with_clipped_relus(net),
                       doctest::Contains("run 'weightfault tune-clip'"), wf::InputError);
}

TEST_CASE("saf reads kernels through f; a SAF model needs saf in every protection") {
  auto net = wf::test::tiny_mnist_network(31);
  const auto image = image_of(net, protection("saf", {{"saf.f", std::string("tanh")}}), "fp32");
  const auto plain = image_of(net, protection("none"), "fp32");
  for (std::size_t t = 0; t < image.tensors().size(); ++t) {
    const bool kernel = image.tensors()[t].role == "kernel";
    for (std::size_t k = 0; k < image.golden_values(t).size(); ++k) {
      const float w = plain.golden_values(t)[k];
      REQUIRE(image.golden_values(t)[k] == (kernel ? std::tanh(w) : w));
    }
  }
  // f = auto needs a model trained with a transform.
  CHECK_THROWS_WITH_AS(image_of(net, protection("saf"), "fp32"),
                       doctest::Contains("saf with f = auto needs a model trained with a weight "
                                         "transform"),
                       wf::InputError);
  net.weight_transform = "arctan";
  const auto autof = image_of(net, protection("saf"), "fp32");
  CHECK(autof.golden_values(0)[0] ==
        doctest::Approx(2.0 / 3.14159265358979 *
                        std::atan(3.14159265358979 / 2.0 * plain.golden_values(0)[0])));
}

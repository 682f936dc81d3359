// Question: do the metrics follow the documented rules for ties, NaN and Inf?
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "nn/metrics.h"

namespace wf = weightfault;

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
}  // namespace

TEST_CASE("argmax breaks ties towards the lowest class and treats Inf as a number") {
  CHECK(wf::nn::predicted_class(std::vector<float>{0.1f, 0.7f, 0.7f}) == 1);
  CHECK(wf::nn::predicted_class(std::vector<float>{-kInf, 2.0f, kInf}) == 2);
  CHECK(wf::nn::predicted_class(std::vector<float>{kInf, kInf}) == 0);
}

TEST_CASE("a NaN logit means no prediction: wrong for top-1 and top-5") {
  CHECK(wf::nn::predicted_class(std::vector<float>{1.0f, kNaN, 0.0f}) == -1);
  wf::nn::Metrics m(3);
  const std::vector<float> logits{1.0f, kNaN, 0.0f, /* second sample */ 0.0f, 1.0f, 2.0f};
  const std::vector<std::uint8_t> labels{0, 2};
  m.add(logits, labels);
  CHECK(m.total == 2);
  CHECK(m.correct == 1);
  CHECK(m.correct_top5 == 1);
  CHECK(m.nan_predictions == 1);
  CHECK(m.nonfinite_loss == 1);
  CHECK(m.class_correct == std::vector<std::size_t>{0, 0, 1});
}

TEST_CASE("top-5 counts a label ranked fifth, not sixth") {
  const std::vector<float> logits{9, 8, 7, 6, 5, 4, 3};
  CHECK(wf::nn::rank_of(logits, 4) == 4);
  CHECK(wf::nn::rank_of(logits, 5) == 5);
  wf::nn::Metrics m(7);
  m.add(logits, std::vector<std::uint8_t>{4});
  m.add(logits, std::vector<std::uint8_t>{5});
  CHECK(m.correct_top5 == 1);
  CHECK(m.correct == 0);
}

TEST_CASE("cross-entropy is the log-softmax loss, stable for large logits") {
  CHECK(wf::nn::cross_entropy(std::vector<float>{0.0f, 0.0f}, 0) == doctest::Approx(std::log(2.0)));
  CHECK(wf::nn::cross_entropy(std::vector<float>{1000.0f, 0.0f}, 0) == doctest::Approx(0.0));
  CHECK(wf::nn::cross_entropy(std::vector<float>{1000.0f, 0.0f}, 1) == doctest::Approx(1000.0));
  CHECK(std::isinf(wf::nn::cross_entropy(std::vector<float>{kInf, 0.0f}, 1)));
  CHECK(wf::nn::cross_entropy(std::vector<float>{kInf, 0.0f}, 0) == 0.0);
  wf::nn::Metrics m(2);
  m.add(std::vector<float>{0.0f, 0.0f, kInf, 0.0f}, std::vector<std::uint8_t>{0, 1});
  CHECK(m.nonfinite_loss == 1);
  CHECK(m.mean_cross_entropy() == doctest::Approx(std::log(2.0)));
}

// Classification metrics over logits, with a defined meaning for the NaN and
// Inf scores that flipped exponent bits produce (docs/inference.md):
//   - a sample with any NaN logit has no prediction: it is wrong for top-1 and
//     top-5 and its cross-entropy is not finite;
//   - otherwise +-Inf compare as ordinary numbers; ties go to the lowest class
//     index (as numpy.argmax), and top-5 ranks by the same order;
//   - cross-entropy is a log-softmax in double precision; the mean is over
//     samples whose loss is finite, and `nonfinite_loss` counts the others.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace weightfault::nn {

// Predicted class, or -1 when a logit is NaN.
int predicted_class(std::span<const float> logits);
// Number of classes ranked before `label` (0 = top-1); -1 when a logit is NaN.
int rank_of(std::span<const float> logits, std::size_t label);
// -log softmax(logits)[label] in double; may be +Inf or NaN.
double cross_entropy(std::span<const float> logits, std::size_t label);

struct Metrics {
  std::size_t total = 0;
  std::size_t correct = 0;  // top-1
  std::size_t correct_top5 = 0;
  std::size_t nan_predictions = 0;  // samples with a NaN logit
  std::size_t nonfinite_loss = 0;
  double loss_sum = 0.0;  // over finite losses
  std::vector<std::size_t> class_total;
  std::vector<std::size_t> class_correct;

  explicit Metrics(std::size_t num_classes = 0)
      : class_total(num_classes, 0), class_correct(num_classes, 0) {}

  // Adds `count` samples with logits [count][classes].
  void add(std::span<const float> logits, std::span<const std::uint8_t> labels);

  double top1() const {
    return total ? static_cast<double>(correct) / static_cast<double>(total) : 0.0;
  }
  double top5() const {
    return total ? static_cast<double>(correct_top5) / static_cast<double>(total) : 0.0;
  }
  double mean_cross_entropy() const;
  double class_accuracy(std::size_t c) const;
};

}  // namespace weightfault::nn

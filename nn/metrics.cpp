#include "nn/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace weightfault::nn {
namespace {

bool has_nan(std::span<const float> logits) {
  return std::any_of(logits.begin(), logits.end(), [](float v) { return std::isnan(v); });
}

}  // namespace

int predicted_class(std::span<const float> logits) {
  if (logits.empty() || has_nan(logits)) return -1;
  std::size_t best = 0;
  for (std::size_t c = 1; c < logits.size(); ++c) {
    if (logits[c] > logits[best]) best = c;
  }
  return static_cast<int>(best);
}

int rank_of(std::span<const float> logits, std::size_t label) {
  if (has_nan(logits)) return -1;
  int rank = 0;
  for (std::size_t c = 0; c < logits.size(); ++c) {
    if (logits[c] > logits[label] || (logits[c] == logits[label] && c < label)) ++rank;
  }
  return rank;
}

double cross_entropy(std::span<const float> logits, std::size_t label) {
  double max = -std::numeric_limits<double>::infinity();
  for (float v : logits) max = std::max(max, static_cast<double>(v));
  if (!std::isfinite(max)) {
    // +Inf (or all -Inf) scores: the loss is 0 only if the label alone holds +Inf.
    if (has_nan(logits)) return std::numeric_limits<double>::quiet_NaN();
    const auto infinite = std::count(logits.begin(), logits.end(), logits[label]);
    return (std::isinf(logits[label]) && logits[label] > 0 && infinite == 1)
               ? 0.0
               : std::numeric_limits<double>::infinity();
  }
  double sum = 0.0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - max);
  return -(static_cast<double>(logits[label]) - max - std::log(sum));
}

void Metrics::add(std::span<const float> logits, std::span<const std::uint8_t> labels) {
  const std::size_t classes = class_total.size();
  for (std::size_t s = 0; s < labels.size(); ++s) {
    const auto row = logits.subspan(s * classes, classes);
    const std::size_t label = labels[s];
    const int rank = rank_of(row, label);
    ++total;
    ++class_total[label];
    if (rank < 0) ++nan_predictions;
    if (rank == 0) {
      ++correct;
      ++class_correct[label];
    }
    if (rank >= 0 && rank < 5) ++correct_top5;
    const double loss = cross_entropy(row, label);
    if (std::isfinite(loss)) {
      loss_sum += loss;
    } else {
      ++nonfinite_loss;
    }
  }
}

double Metrics::mean_cross_entropy() const {
  const std::size_t finite = total - nonfinite_loss;
  return finite ? loss_sum / static_cast<double>(finite) : std::numeric_limits<double>::quiet_NaN();
}

double Metrics::class_accuracy(std::size_t c) const {
  return class_total[c]
             ? static_cast<double>(class_correct[c]) / static_cast<double>(class_total[c])
             : 0.0;
}

}  // namespace weightfault::nn

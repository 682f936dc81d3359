// Saturating weight transforms (SAF; Fuengfusin & Tamukoh 2024): a layer's
// effective weight is f(raw), raw is what memory stores. Each f has range
// (-1, 1) and slope 1 at 0, so the shapes are comparable; arctan is scaled to
// that range: f(w) = (2/pi) atan(pi w / 2).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace weightfault {

// f and its derivative (training needs both; reading stored weights only f).
struct WeightTransform {
  std::function<float(float)> apply;
  std::function<float(float)> derivative;
};

const std::vector<std::string>& weight_transform_names();  // none, tanh, arctan, softsign, hardtanh
// nullptr for "none"; throws InputError for an unknown name.
const WeightTransform* find_weight_transform(const std::string& name);

}  // namespace weightfault

#include "common/weight_transform.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <numbers>

#include "common/input_error.h"

namespace weightfault {

const std::vector<std::string>& weight_transform_names() {
  static const std::vector<std::string> names{"none", "tanh", "arctan", "softsign", "hardtanh"};
  return names;
}

const WeightTransform* find_weight_transform(const std::string& name) {
  static const WeightTransform tanh_f{[](float w) { return std::tanh(w); },
                                      [](float w) {
                                        const float t = std::tanh(w);
                                        return 1.0f - t * t;
                                      }};
  static const WeightTransform arctan_f{
      [](float w) {
        return static_cast<float>(2.0 / std::numbers::pi *
                                  std::atan(std::numbers::pi / 2.0 * static_cast<double>(w)));
      },
      [](float w) {
        const double x = std::numbers::pi / 2.0 * static_cast<double>(w);
        return static_cast<float>(1.0 / (1.0 + x * x));
      }};
  static const WeightTransform softsign_f{[](float w) { return w / (1.0f + std::abs(w)); },
                                          [](float w) {
                                            const float d = 1.0f + std::abs(w);
                                            return 1.0f / (d * d);
                                          }};
  static const WeightTransform hardtanh_f{[](float w) { return std::clamp(w, -1.0f, 1.0f); },
                                          [](float w) { return std::abs(w) < 1.0f ? 1.0f : 0.0f; }};
  if (name == "none") return nullptr;
  if (name == "tanh") return &tanh_f;
  if (name == "arctan") return &arctan_f;
  if (name == "softsign") return &softsign_f;
  if (name == "hardtanh") return &hardtanh_f;
  throw InputError(fmt::format("unknown weight transform '{}' (known: {})", name,
                               fmt::join(weight_transform_names(), ", ")));
}

}  // namespace weightfault

// Parameter declarations: every parameter of a fault model (and later of a
// protection) is declared once -- key, type, unit, default or required, valid
// range, description -- and scenario validation, `weightfault describe` and
// the docs all read that one declaration.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace weightfault {

using ParamValue = std::variant<double, std::int64_t, std::string>;

enum class ParamType { number, integer, text, choice };

struct ParamDecl {
  std::string key;
  ParamType type = ParamType::number;
  std::string unit;  // "" for dimensionless
  std::string description;
  std::optional<ParamValue> default_value;  // nullopt = required
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  std::vector<std::string> choices;  // ParamType::choice
  bool sweepable = false;            // may be given as a [sweep] list
};

// "a number in [0, 1]", "one of: 0, 1, either", ...
std::string describe_rule(const ParamDecl& decl);
// nullopt when `value` satisfies `decl`, else the rule it breaks.
std::optional<std::string> check_value(const ParamDecl& decl, const ParamValue& value);
std::string to_string(const ParamValue& value);

// Validated values keyed by parameter key (defaults filled in).
class ParamValues {
 public:
  void set(const std::string& key, ParamValue value) { values_[key] = std::move(value); }
  bool has(const std::string& key) const { return values_.count(key) > 0; }
  double number(const std::string& key) const;
  std::int64_t integer(const std::string& key) const;
  const std::string& text(const std::string& key) const;
  const std::map<std::string, ParamValue>& all() const { return values_; }

 private:
  std::map<std::string, ParamValue> values_;
};

}  // namespace weightfault

namespace weightfault {

// Builders for declarations (designated initializers would leave members unnamed).
inline ParamDecl number_param(std::string key, std::string unit, std::string description,
                              double min, double max, std::optional<double> default_value,
                              bool sweepable) {
  ParamDecl d;
  d.key = std::move(key);
  d.type = ParamType::number;
  d.unit = std::move(unit);
  d.description = std::move(description);
  d.min = min;
  d.max = max;
  if (default_value) d.default_value = ParamValue{*default_value};
  d.sweepable = sweepable;
  return d;
}

inline ParamDecl integer_param(std::string key, std::string unit, std::string description,
                               std::int64_t min, std::int64_t max, std::int64_t default_value) {
  ParamDecl d =
      number_param(std::move(key), std::move(unit), std::move(description),
                   static_cast<double>(min), static_cast<double>(max), std::nullopt, false);
  d.type = ParamType::integer;
  d.default_value = ParamValue{default_value};
  return d;
}

inline ParamDecl choice_param(std::string key, std::string description,
                              std::vector<std::string> choices,
                              std::optional<std::string> default_value) {
  ParamDecl d;
  d.key = std::move(key);
  d.type = ParamType::choice;
  d.description = std::move(description);
  d.choices = std::move(choices);
  if (default_value) d.default_value = ParamValue{*default_value};
  return d;
}

inline ParamDecl text_param(std::string key, std::string description) {
  ParamDecl d;
  d.key = std::move(key);
  d.type = ParamType::text;
  d.description = std::move(description);
  return d;
}

}  // namespace weightfault

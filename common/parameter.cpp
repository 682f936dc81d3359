#include "common/parameter.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace weightfault {

std::string to_string(const ParamValue& value) {
  if (const auto* d = std::get_if<double>(&value)) return fmt::format("{}", *d);
  if (const auto* i = std::get_if<std::int64_t>(&value)) return fmt::format("{}", *i);
  return std::get<std::string>(value);
}

std::string describe_rule(const ParamDecl& d) {
  const auto range = [&]() -> std::string {
    const bool lo = std::isfinite(d.min), hi = std::isfinite(d.max);
    if (lo && hi) return fmt::format(" in [{}, {}]", d.min, d.max);
    if (lo) return fmt::format(" >= {}", d.min);
    if (hi) return fmt::format(" <= {}", d.max);
    return "";
  };
  switch (d.type) {
    case ParamType::number:
      return "a number" + range();
    case ParamType::integer:
      return "an integer" + range();
    case ParamType::text:
      return "a string";
    case ParamType::choice:
      return fmt::format("one of: {}", fmt::join(d.choices, ", "));
  }
  return "";
}

std::optional<std::string> check_value(const ParamDecl& d, const ParamValue& value) {
  switch (d.type) {
    case ParamType::number: {
      double v = 0;
      if (const auto* x = std::get_if<double>(&value))
        v = *x;
      else if (const auto* i = std::get_if<std::int64_t>(&value))
        v = static_cast<double>(*i);
      else
        return describe_rule(d);
      if (!std::isfinite(v) || v < d.min || v > d.max) return describe_rule(d);
      return std::nullopt;
    }
    case ParamType::integer: {
      const auto* i = std::get_if<std::int64_t>(&value);
      if (i == nullptr || static_cast<double>(*i) < d.min || static_cast<double>(*i) > d.max) {
        return describe_rule(d);
      }
      return std::nullopt;
    }
    case ParamType::text:
      if (!std::holds_alternative<std::string>(value)) return describe_rule(d);
      return std::nullopt;
    case ParamType::choice: {
      const auto* s = std::get_if<std::string>(&value);
      if (s == nullptr || std::find(d.choices.begin(), d.choices.end(), *s) == d.choices.end()) {
        return describe_rule(d);
      }
      return std::nullopt;
    }
  }
  return describe_rule(d);
}

double ParamValues::number(const std::string& key) const {
  const auto& v = values_.at(key);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  return std::get<double>(v);
}

std::int64_t ParamValues::integer(const std::string& key) const {
  return std::get<std::int64_t>(values_.at(key));
}

const std::string& ParamValues::text(const std::string& key) const {
  return std::get<std::string>(values_.at(key));
}

}  // namespace weightfault

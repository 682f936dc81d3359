// Strict reading of TOML files (scenarios, model definitions): every key
// asked for is remembered, so all others can be reported as unknown, and every
// problem is collected as "file:line:col: key.path: rule; got 'value'".
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <toml++/toml.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/input_error.h"

namespace weightfault {

inline std::string show(const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  // Shortest text that reads back as the same double (1e-06, not 9.9999999999999995e-07).
  if (const auto* f = node.as_floating_point()) return fmt::format("{}", f->get());
  std::ostringstream out;
  node.visit([&](auto&& value) { out << value; });
  return out.str();
}

// Reads one table, remembering which keys were asked for, so that every other
// key can be reported as unknown.
// Reads `path` into `text` and parses it; "<path>: <what> not found" or
// "<path>:line:col: TOML syntax error: ..." as an InputError.
inline toml::table parse_toml_file(const std::filesystem::path& path, const std::string& what,
                                   std::string& text) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(fmt::format("{}: is a directory, not a {}", path.string(), what));
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("{}: {} not found", path.string(), what));
  std::stringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  try {
    return toml::parse(text, path.string());
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}:{}: TOML syntax error: {}", path.string(),
                                 e.source().begin.line, e.source().begin.column, e.description()));
  }
}

class TomlReader {
 public:
  explicit TomlReader(std::string file) : file_(std::move(file)) {}

  struct Table {
    const toml::table* table = nullptr;
    std::string path;  // "memory", "fault_model[2]"
    std::set<std::string> known;
  };

  void error(const toml::source_region& at, const std::string& key, const std::string& rule,
             const std::optional<std::string>& got = std::nullopt) {
    std::string msg =
        fmt::format("{}:{}:{}: {}: {}", file_, at.begin.line, at.begin.column, key, rule);
    if (got) msg += fmt::format("; got '{}'", *got);
    errors_.push_back(msg);
  }
  void error_at_file(const std::string& key, const std::string& rule) {
    errors_.push_back(fmt::format("{}: {}: {}", file_, key, rule));
  }
  const std::vector<std::string>& errors() const { return errors_; }

  std::string full(const Table& t, const std::string& key) const {
    return t.path.empty() ? key : t.path + "." + key;
  }

  const toml::node* node(Table& t, const std::string& key, bool required) {
    t.known.insert(key);
    const toml::node* n = t.table ? t.table->get(key) : nullptr;
    if (n == nullptr && required) {
      if (t.table)
        error(t.table->source(), full(t, key), "required key is missing");
      else
        error_at_file(full(t, key), "required key is missing");
    }
    return n;
  }

  std::optional<std::string> string(Table& t, const std::string& key, bool required,
                                    const std::vector<std::string>& choices = {}) {
    const auto* n = node(t, key, required);
    if (n == nullptr) return std::nullopt;
    const auto* s = n->as_string();
    const std::string rule = choices.empty()
                                 ? "expected a string"
                                 : fmt::format("expected one of: {}", fmt::join(choices, ", "));
    if (s == nullptr || (!choices.empty() &&
                         std::find(choices.begin(), choices.end(), s->get()) == choices.end())) {
      error(n->source(), full(t, key), rule, show(*n));
      return std::nullopt;
    }
    return s->get();
  }

  std::optional<std::int64_t> integer(Table& t, const std::string& key, bool required,
                                      std::int64_t min, std::int64_t max) {
    const auto* n = node(t, key, required);
    if (n == nullptr) return std::nullopt;
    const auto* i = n->as_integer();
    if (i == nullptr || i->get() < min || i->get() > max) {
      error(n->source(), full(t, key), fmt::format("expected an integer in [{}, {}]", min, max),
            show(*n));
      return std::nullopt;
    }
    return i->get();
  }

  std::optional<double> number(Table& t, const std::string& key, bool required, double min,
                               double max) {
    const auto* n = node(t, key, required);
    if (n == nullptr) return std::nullopt;
    std::optional<double> v;
    if (const auto* f = n->as_floating_point()) v = f->get();
    if (const auto* i = n->as_integer()) v = static_cast<double>(i->get());
    if (!v || !(*v >= min && *v <= max)) {
      error(n->source(), full(t, key), fmt::format("expected a number in [{}, {}]", min, max),
            show(*n));
      return std::nullopt;
    }
    return v;
  }

  std::optional<bool> boolean(Table& t, const std::string& key) {
    const auto* n = node(t, key, false);
    if (n == nullptr) return std::nullopt;
    if (const auto* b = n->as_boolean()) return b->get();
    error(n->source(), full(t, key), "expected true or false", show(*n));
    return std::nullopt;
  }

  const toml::array* array(Table& t, const std::string& key, bool required) {
    const auto* n = node(t, key, required);
    if (n == nullptr) return nullptr;
    const auto* a = n->as_array();
    if (a == nullptr || a->empty()) {
      error(n->source(), full(t, key), "expected a non-empty array", show(*n));
      return nullptr;
    }
    return a;
  }

  Table table(const toml::table& parent, const std::string& key,
              std::set<std::string>& parent_known, bool required) {
    parent_known.insert(key);
    Table t{nullptr, key, {}};
    const auto* n = parent.get(key);
    if (n == nullptr) {
      if (required) error_at_file(key, "required table is missing");
      return t;
    }
    t.table = n->as_table();
    if (t.table == nullptr) error(n->source(), key, "expected a table", show(*n));
    return t;
  }

  void reject_unknown(const Table& t) {
    if (t.table == nullptr) return;
    for (const auto& [k, v] : *t.table) {
      const std::string key(k.str());
      if (t.known.count(key) == 0) {
        error(k.source(), full(t, key),
              fmt::format("unknown key (known: {})", fmt::join(t.known, ", ")));
      }
    }
  }

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

}  // namespace weightfault

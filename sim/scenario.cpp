#include "sim/scenario.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "common/input_error.h"
#include "common/toml_reader.h"

namespace weightfault::sim {
namespace {

// Applies one parameter declaration to a value node.
// `fallback`: where to point when `n` has no source position of its own (toml++
// gives none to the numbers of an array).
std::optional<ParamValue> param_value(TomlReader& r, const toml::node& n, const std::string& key,
                                      const ParamDecl& d,
                                      const toml::source_region* fallback = nullptr) {
  const auto& at = n.source().begin.line == 0 && fallback != nullptr ? *fallback : n.source();
  std::optional<ParamValue> v;
  if (const auto* f = n.as_floating_point())
    v = f->get();
  else if (const auto* i = n.as_integer())
    v = i->get();
  else if (const auto* s = n.as_string())
    v = s->get();
  if (!v) {
    r.error(at, key, describe_rule(d), show(n));
    return std::nullopt;
  }
  if (const auto broken = check_value(d, *v)) {
    r.error(at, key, *broken, show(n));
    return std::nullopt;
  }
  return v;
}

// An environment quantity: a number (constant), or a table
//   { steps = [[t_s, value], ...] } or { linear = [[t_s, value], ...] }, optional repeat_s.
std::optional<memory::Profile> read_profile(TomlReader& r, TomlReader::Table& env,
                                            const std::string& key, double min, double max) {
  const auto* n = r.node(env, key, false);
  if (n == nullptr) return std::nullopt;
  const std::string path = "environment." + key;
  const std::string range = fmt::format("values in [{}, {}]", min, max);
  if (n->is_number()) {
    const auto v = r.number(env, key, false, min, max);
    if (!v) return std::nullopt;
    return memory::Profile(*v);
  }
  TomlReader::Table t{n->as_table(), path, {}};
  if (t.table == nullptr) {
    r.error(n->source(), path,
            fmt::format("expected a number or {{ steps = [[t_s, value], ...] }} or {{ linear = "
                        "[[t_s, value], ...], repeat_s = period }} with {}",
                        range),
            show(*n));
    return std::nullopt;
  }
  const auto* steps = r.node(t, "steps", false);
  const auto* linear = r.node(t, "linear", false);
  const auto repeat = r.number(t, "repeat_s", false, 0.0, 1e12);
  r.reject_unknown(t);
  if ((steps == nullptr) == (linear == nullptr)) {
    r.error(n->source(), path, "give exactly one of steps or linear");
    return std::nullopt;
  }
  const auto* list = steps != nullptr ? steps : linear;
  const std::string list_key = path + (steps != nullptr ? ".steps" : ".linear");
  const auto* a = list->as_array();
  std::vector<memory::Profile::Point> points;
  bool ok = a != nullptr && !a->empty();
  for (std::size_t k = 0; ok && k < a->size(); ++k) {
    const auto* pair = a->get(k)->as_array();
    ok = pair != nullptr && pair->size() == 2 && pair->get(0)->is_number() &&
         pair->get(1)->is_number();
    if (!ok) break;
    const double t_s = pair->get(0)->value<double>().value_or(-1.0);
    const double v = pair->get(1)->value<double>().value_or(min - 1.0);
    ok = std::isfinite(t_s) && (points.empty() ? t_s == 0.0 : t_s > points.back().t_s) &&
         v >= min && v <= max;
    if (ok) points.push_back({t_s, v});
  }
  if (!ok) {
    r.error(list->source(), list_key,
            fmt::format("expected [[t_s, value], ...] starting at t_s = 0 with increasing times "
                        "and {}",
                        range),
            show(*list));
    return std::nullopt;
  }
  const double repeat_s = repeat.value_or(0.0);
  if (repeat_s > 0.0 && !(repeat_s > points.back().t_s)) {
    r.error(n->source(), path + ".repeat_s", "must be larger than the last point's time",
            fmt::format("{}", repeat_s));
    return std::nullopt;
  }
  return memory::Profile(
      points, steps != nullptr ? memory::Profile::Shape::steps : memory::Profile::Shape::linear,
      repeat_s);
}

}  // namespace

nn::Dataset load_scenario_dataset(const Scenario& sc, const std::filesystem::path& data_root) {
  auto data =
      !sc.dataset_file.empty()
          ? nn::load_dataset_file(sc.dataset_file, sc.dataset_inputs, sc.dataset_labels, sc.limit)
      : !sc.idx_images.empty() ? nn::load_idx_files(sc.idx_images, sc.idx_labels, sc.limit)
                               : nn::load_dataset(data_root, sc.dataset, sc.split, sc.limit);
  nn::check_limit(data, sc.limit, fmt::format("{}: dataset.limit", sc.file));
  return data;
}

std::vector<std::string> known_protections() {
  return storage::protection_names();
}

std::vector<double> Scenario::write_times_s() const {
  std::vector<double> times{0.0};
  if (rewrite_interval_s > 0.0) {
    for (double k = 1.0; k * rewrite_interval_s <= checkpoints_s.back(); k += 1.0)
      times.push_back(k * rewrite_interval_s);
  }
  return times;
}

std::vector<storage::ProtectionSpec> protections_for(const Scenario& scenario,
                                                     const nn::Network& network) {
  if (network.weight_transform == "none") return scenario.protections;
  // The stage that reads a model's raw weights through its trained transform (saf).
  const storage::ProtectionStageInfo* reader = nullptr;
  for (const auto& stage : storage::protection_stages()) {
    if (stage.effect == storage::NetworkEffect::read_model_transform) reader = &stage;
  }
  std::vector<storage::ProtectionSpec> out;
  for (const auto& p : scenario.protections) {
    if (p.has_effect(storage::NetworkEffect::read_model_transform)) {
      out.push_back(p);
    } else if (p.stages.empty() && scenario.none_added) {
      // The added baseline becomes the reader alone, unless the scenario lists it itself.
      const bool listed =
          std::any_of(scenario.protections.begin(), scenario.protections.end(),
                      [&](const storage::ProtectionSpec& q) { return q.name == reader->name; });
      if (listed) continue;
      auto baseline = storage::make_protection(reader->name);
      baseline.params = p.params;
      out.push_back(baseline);
    } else {
      throw InputError(fmt::format(
          "{}: protection '{}': model '{}' stores raw SAF weights (trained with {}), so every "
          "protection must read them through f: add {}, e.g. '{}'",
          scenario.file, p.name, network.name, network.weight_transform, reader->name,
          p.stages.empty() ? reader->name : reader->name + "+" + p.name));
    }
  }
  return out;
}

std::vector<std::filesystem::path> Scenario::input_files() const {
  std::vector<std::filesystem::path> files;
  for (const auto& name : {file, model_file, dataset_file, idx_images, idx_labels})
    if (!name.empty()) files.emplace_back(name);
  // A fault model's file parameters (fault_list's CSV).
  for (const auto& model : fault_models) {
    if (model.info == nullptr) continue;
    for (const auto& decl : model.info->params)
      if (decl.type == ParamType::text && decl.key == "file" && model.fixed.has(decl.key))
        files.emplace_back(model.fixed.text(decl.key));
  }
  return files;
}

ParamValues Scenario::params_at(std::size_t m, std::size_t p) const {
  ParamValues values = fault_models.at(m).fixed;
  for (const auto& axis : sweep) {
    for (const auto& decl : fault_models[m].info->params) {
      if (decl.key == axis.param) values.set(axis.param, axis.values.at(p));
    }
  }
  return values;
}

namespace {

struct FaultModelKeys {
  std::set<std::string> sweepable;                     // parameters the scenario's models can sweep
  std::vector<std::set<std::string>> given_per_model;  // keys set in each [[fault_model]]
};

// [model] and [dataset].
void read_model_and_dataset(TomlReader& r, const toml::table& root,
                            std::set<std::string>& top_known, Scenario& sc) {
  auto model = r.table(root, "model", top_known, true);
  if (auto v = r.string(model, "file", true)) sc.model_file = *v;
  r.reject_unknown(model);

  auto dataset = r.table(root, "dataset", top_known, true);
  // One source: a named dataset (with its splits), a user's HDF5 file, or an IDX pair.
  const bool file = dataset.table && dataset.table->contains("file");
  const bool idx = dataset.table && dataset.table->contains("idx_images");
  if (file && idx) {
    r.error(dataset.table->source(), "dataset", "give one of name, file or idx_images");
  } else if (file) {
    if (auto v = r.string(dataset, "file", true)) sc.dataset_file = *v;
    if (auto v = r.string(dataset, "inputs", false)) sc.dataset_inputs = *v;
    if (auto v = r.string(dataset, "labels", false)) sc.dataset_labels = *v;
  } else if (idx) {
    if (auto v = r.string(dataset, "idx_images", true)) sc.idx_images = *v;
    if (auto v = r.string(dataset, "idx_labels", true)) sc.idx_labels = *v;
  } else {
    if (auto v = r.string(dataset, "name", true, {"mnist", "fashion-mnist"})) sc.dataset = *v;
    if (auto v = r.string(dataset, "split", false, {"test", "train", "calibration", "train_full"}))
      sc.split = *v;
  }
  if (auto v = r.integer(dataset, "limit", false, 0, 1'000'000))
    sc.limit = static_cast<std::size_t>(*v);
  r.reject_unknown(dataset);
}

// [memory]: geometry, mapping, placement, target layers.
void read_memory(TomlReader& r, const toml::table& root, std::set<std::string>& top_known,
                 Scenario& sc) {
  auto mem = r.table(root, "memory", top_known, false);
  const auto dim = [&](const char* key, std::uint64_t& field, std::int64_t max) {
    if (auto v = r.integer(mem, key, false, 1, max)) field = static_cast<std::uint64_t>(*v);
  };
  dim("channels", sc.geometry.channels, 16);
  dim("ranks", sc.geometry.ranks, 16);
  dim("chips", sc.geometry.chips, 72);
  if (auto v = r.integer(mem, "ecc_chips", false, 0, 8))
    sc.geometry.ecc_chips = static_cast<std::uint64_t>(*v);
  dim("banks", sc.geometry.banks, 256);
  dim("rows", sc.geometry.rows, std::int64_t{1} << 24);
  dim("columns", sc.geometry.columns, std::int64_t{1} << 16);
  if (const auto* n = r.node(mem, "device_width", false)) {
    const auto* i = n->as_integer();
    if (i == nullptr || (i->get() != 4 && i->get() != 8 && i->get() != 16)) {
      r.error(n->source(), "memory.device_width", "expected one of: 4, 8, 16", show(*n));
    } else {
      sc.geometry.device_width = static_cast<std::uint64_t>(i->get());
    }
  }
  if (const auto* n = r.node(mem, "mapping", false)) {
    if (const auto* s = n->as_string()) {
      try {
        memory::AddressMapping(sc.geometry, s->get());
        sc.mapping = s->get();
      } catch (const InputError& e) {
        r.error(n->source(), "memory.mapping", e.what());
      }
    } else {
      r.error(n->source(), "memory.mapping", "expected a string such as \"RoBaRaCoCh\"", show(*n));
    }
  }
  if (auto v = r.string(mem, "placement", false, {"packed", "row_aligned"})) {
    sc.placement =
        *v == "packed" ? memory::PlacementPolicy::packed : memory::PlacementPolicy::row_aligned;
  }
  if (const auto* a = r.array(mem, "target_layers", false)) {
    for (const auto& item : *a) {
      if (const auto* name = item.as_string()) {
        sc.target_layers.push_back(name->get());
      } else {
        r.error(item.source(), "memory.target_layers", "expected layer names (strings)",
                show(item));
      }
    }
    if (a->empty()) r.error(a->source(), "memory.target_layers", "expected at least one layer");
  }
  r.reject_unknown(mem);
}

// [timeline]: checkpoints, rewrites, scrubs, refresh window.
void read_timeline(TomlReader& r, const toml::table& root, std::set<std::string>& top_known,
                   Scenario& sc) {
  // [timeline]
  auto timeline = r.table(root, "timeline", top_known, false);
  if (timeline.table != nullptr) {
    sc.has_timeline = true;
    const auto* list = r.node(timeline, "checkpoints_s", false);
    const auto* log = r.node(timeline, "log_checkpoints", false);
    if ((list == nullptr) == (log == nullptr)) {
      r.error(timeline.table->source(), "timeline",
              "give exactly one of checkpoints_s or log_checkpoints");
    } else if (list != nullptr) {
      const auto* a = list->as_array();
      std::vector<double> times;
      bool ok = a != nullptr && !a->empty();
      for (std::size_t k = 0; ok && k < a->size(); ++k) {
        const auto* item = a->get(k);
        std::optional<double> v;
        if (const auto* f = item->as_floating_point()) v = f->get();
        if (const auto* i = item->as_integer()) v = static_cast<double>(i->get());
        ok = v && *v >= 0.0 && std::isfinite(*v) && (times.empty() || *v > times.back());
        if (ok) times.push_back(*v);
      }
      if (!ok) {
        r.error(list->source(), "timeline.checkpoints_s",
                "expected a non-empty increasing array of times >= 0 (s)", show(*list));
      } else {
        sc.checkpoints_s = times;
      }
    } else {
      TomlReader::Table t{log->as_table(), "timeline.log_checkpoints", {}};
      if (t.table == nullptr) {
        r.error(log->source(), "timeline.log_checkpoints",
                "expected { first_s = ..., last_s = ..., count = ... }", show(*log));
      } else {
        const auto first = r.number(t, "first_s", true, 1e-9, 1e12);
        const auto last = r.number(t, "last_s", true, 1e-9, 1e12);
        const auto count = r.integer(t, "count", true, 2, 1000);
        r.reject_unknown(t);
        if (first && last && count) {
          if (!(*last > *first)) {
            r.error(log->source(), "timeline.log_checkpoints.last_s", "must be larger than first_s",
                    fmt::format("{}", *last));
          } else {
            sc.checkpoints_s.clear();
            for (std::int64_t k = 0; k < *count; ++k) {
              sc.checkpoints_s.push_back(
                  *first * std::pow(*last / *first,
                                    static_cast<double>(k) / static_cast<double>(*count - 1)));
            }
          }
        }
      }
    }
    if (auto v = r.number(timeline, "rewrite_interval_s", false, 0.0, 1e12))
      sc.rewrite_interval_s = *v;
    if (auto v = r.number(timeline, "scrub_interval_s", false, 0.0, 1e12)) sc.scrub_interval_s = *v;
    if (auto v = r.number(timeline, "refresh_interval_s", false, 1e-4, 1e4))
      sc.refresh_interval_s = *v;
    if (sc.rewrite_interval_s > 0.0 && sc.checkpoints_s.back() / sc.rewrite_interval_s > 1e6) {
      r.error(timeline.table->source(), "timeline.rewrite_interval_s",
              fmt::format("at most 1e6 rewrites up to the last checkpoint ({} s); use a longer "
                          "interval",
                          sc.checkpoints_s.back()),
              fmt::format("{}", sc.rewrite_interval_s));
    }
    r.reject_unknown(timeline);
  }
}

// [environment]: temperature, supply, altitude and flux profiles.
void read_environment(TomlReader& r, const toml::table& root, std::set<std::string>& top_known,
                      Scenario& sc) {
  // [environment]
  auto env = r.table(root, "environment", top_known, false);
  if (env.table != nullptr) {
    if (auto p = read_profile(r, env, "temperature_c", -60.0, 200.0))
      sc.environment.temperature_c = *p;
    if (auto p = read_profile(r, env, "vdd_v", 0.05, 5.0)) sc.environment.vdd_v = *p;
    if (auto p = read_profile(r, env, "altitude_m", -500.0, 40000.0))
      sc.environment.altitude_m = *p;
    if (auto p = read_profile(r, env, "flux_factor", 0.0, 1e6)) sc.environment.flux_factor = *p;
    r.reject_unknown(env);
  }
}

// [[fault_model]] tables, their fixed parameters and what the scenario may sweep.
FaultModelKeys read_fault_models(TomlReader& r, const toml::table& root,
                                 std::set<std::string>& top_known, Scenario& sc,
                                 const memory::FaultModelRegistry& registry) {
  // [[fault_model]]
  top_known.insert("fault_model");
  FaultModelKeys keys;
  auto& sweepable = keys.sweepable;
  auto& given_per_model = keys.given_per_model;
  if (const auto* n = root.get("fault_model")) {
    const auto* list = n->as_array();
    if (list == nullptr || list->empty() || !list->is_array_of_tables()) {
      r.error(n->source(), "fault_model", "expected one or more [[fault_model]] tables", show(*n));
    } else {
      for (std::size_t k = 0; k < list->size(); ++k) {
        TomlReader::Table t{list->get(k)->as_table(), fmt::format("fault_model[{}]", k), {}};
        FaultModelSpec spec;
        std::set<std::string> given;
        if (auto name = r.string(t, "name", true)) {
          spec.info = registry.find(*name);
          if (spec.info == nullptr) {
            r.error(
                t.table->get("name")->source(), r.full(t, "name"),
                fmt::format("unknown fault model (known: {})", fmt::join(registry.names(), ", ")),
                *name);
          }
        }
        if (spec.info != nullptr) {
          for (const auto& decl : spec.info->params) {
            t.known.insert(decl.key);
            if (decl.sweepable) sweepable.insert(decl.key);
            if (const auto* v = t.table->get(decl.key)) {
              given.insert(decl.key);
              if (auto value = param_value(r, *v, r.full(t, decl.key), decl))
                spec.fixed.set(decl.key, *value);
            } else if (decl.default_value) {
              spec.fixed.set(decl.key, *decl.default_value);
            }
          }
          r.reject_unknown(t);
        }
        given_per_model.push_back(given);
        sc.fault_models.push_back(spec);
      }
    }
  } else {
    r.error_at_file("fault_model", "at least one [[fault_model]] table is required");
  }
  return keys;
}

// [sweep]: zipped axes over sweepable fault-model parameters.
void read_sweep(TomlReader& r, const toml::table& root, std::set<std::string>& top_known,
                Scenario& sc, const FaultModelKeys& keys) {
  const auto& sweepable = keys.sweepable;
  const auto& given_per_model = keys.given_per_model;
  // [sweep]: zipped axes over sweepable fault-model parameters.
  top_known.insert("sweep");
  if (const auto* n = root.get("sweep")) {
    const auto* t = n->as_table();
    if (t == nullptr) r.error(n->source(), "sweep", "expected a table", show(*n));
    for (const auto& [k, v] : t ? *t : toml::table{}) {
      const std::string key(k.str());
      if (sweepable.count(key) == 0) {
        r.error(
            k.source(), "sweep." + key,
            fmt::format("not a sweepable parameter of this scenario's fault models (sweepable: {})",
                        fmt::join(sweepable, ", ")));
        continue;
      }
      const auto* a = v.as_array();
      if (a == nullptr || a->empty()) {
        r.error(k.source(), "sweep." + key, "expected a non-empty array of numbers", show(v));
        continue;
      }
      SweepAxis axis{key, {}};
      for (const auto& item : *a) {
        for (std::size_t m = 0; m < sc.fault_models.size(); ++m) {
          if (sc.fault_models[m].info == nullptr) continue;
          for (const auto& decl : sc.fault_models[m].info->params) {
            if (decl.key != key) continue;
            if (given_per_model[m].count(key)) {
              r.error(k.source(), "sweep." + key,
                      fmt::format("also set in fault_model[{}]; set it in one place", m));
            }
            if (auto value = param_value(r, item, "sweep." + key, decl, &k.source())) {
              if (axis.values.size() < a->size())
                axis.values.push_back(std::holds_alternative<double>(*value)
                                          ? std::get<double>(*value)
                                          : static_cast<double>(std::get<std::int64_t>(*value)));
            }
          }
        }
      }
      if (!sc.sweep.empty() && a->size() != sc.sweep.front().values.size()) {
        r.error(k.source(), "sweep." + key,
                fmt::format("expected {} values like sweep.{} (axes are zipped)",
                            sc.sweep.front().values.size(), sc.sweep.front().param),
                show(v));
      }
      sc.sweep.push_back(axis);
    }
  }
}

// Timeline models need checkpoints; required parameters are fixed or swept.
void check_fault_model_needs(TomlReader& r, Scenario& sc, const FaultModelKeys& keys) {
  const auto& given_per_model = keys.given_per_model;
  // Models of simulated time need checkpoints to read the memory at.
  for (std::size_t m = 0; m < sc.fault_models.size(); ++m) {
    const auto* info = sc.fault_models[m].info;
    if (info != nullptr && info->needs_timeline && !sc.has_timeline) {
      r.error_at_file(
          fmt::format("fault_model[{}]", m),
          fmt::format(
              "'{}' makes faults over simulated time; add a [timeline] with checkpoints_s or "
              "log_checkpoints",
              info->name));
    }
  }
  // Every required parameter must be given, either fixed or swept.
  for (std::size_t m = 0; m < sc.fault_models.size(); ++m) {
    const auto& spec = sc.fault_models[m];
    if (spec.info == nullptr) continue;
    for (const auto& decl : spec.info->params) {
      const bool swept = std::any_of(sc.sweep.begin(), sc.sweep.end(),
                                     [&](const auto& a) { return a.param == decl.key; });
      if (!spec.fixed.has(decl.key) && !swept && !given_per_model[m].count(decl.key)) {
        r.error_at_file(
            fmt::format("fault_model[{}].{}", m, decl.key),
            fmt::format("required parameter of '{}' is missing ({}{}); set it or sweep it",
                        spec.info->name, describe_rule(decl),
                        decl.unit.empty() ? "" : ", unit " + decl.unit));
      }
    }
  }
}

// campaign.dtypes.
void read_dtypes(TomlReader& r, Scenario& sc, TomlReader::Table& camp) {
  if (const auto* a = r.array(camp, "dtypes", true)) {
    for (const auto& item : *a) {
      const auto* s = item.as_string();
      const auto dtype = s ? storage::parse_dtype(s->get()) : std::nullopt;
      if (!dtype) {
        r.error(item.source(), "campaign.dtypes",
                fmt::format("expected one of: {}", storage::dtype_choices()), show(item));
        continue;
      }
      sc.dtypes.push_back(storage::DTypeSpec{*dtype, {}, false});
    }
  }
}

// [protection.<stage>] tables.
ParamValues read_stage_params(TomlReader& r, const toml::table& root,
                              std::set<std::string>& top_known) {
  // [protection.<stage>] tables: parameters of protection stages, shared by every chain using the
  // stage.
  top_known.insert("protection");
  ParamValues stage_params = storage::default_stage_params();
  if (const auto* n = root.get("protection")) {
    if (const auto* t = n->as_table()) {
      for (const auto& [k, v] : *t) {
        const std::string stage_name(k.str());
        const auto* stage = storage::find_stage(stage_name);
        std::vector<std::string> stage_names;
        for (const auto& st : storage::protection_stages()) stage_names.push_back(st.name);
        if (stage == nullptr) {
          r.error(
              k.source(), "protection." + stage_name,
              fmt::format("unknown protection stage (known: {})", fmt::join(stage_names, ", ")));
          continue;
        }
        TomlReader::Table table{v.as_table(), "protection." + stage_name, {}};
        if (table.table == nullptr) {
          r.error(v.source(), "protection." + stage_name, "expected a table", show(v));
          continue;
        }
        for (const auto& decl : stage->params) {
          table.known.insert(decl.key);
          if (const auto* value = table.table->get(decl.key)) {
            if (auto pv = param_value(r, *value, r.full(table, decl.key), decl)) {
              stage_params.set(stage_name + "." + decl.key, *pv);
            }
          }
        }
        r.reject_unknown(table);
      }
    } else {
      r.error(n->source(), "protection", "expected tables [protection.<stage>]", show(*n));
    }
  }
  return stage_params;
}

// campaign.protections; `none` is added as the baseline when missing.
void read_protections(TomlReader& r, Scenario& sc, TomlReader::Table& camp,
                      const ParamValues& stage_params) {
  if (const auto* a = r.array(camp, "protections", false)) {
    sc.protections.clear();
    for (const auto& item : *a) {
      const auto* s = item.as_string();
      storage::ProtectionSpec spec;
      if (s == nullptr) {
        r.error(item.source(), "campaign.protections",
                "expected a string such as \"none\" or \"scale+secded\"", show(item));
        continue;
      }
      if (const auto problem = storage::parse_protection_chain(s->get(), spec.stages)) {
        r.error(item.source(), "campaign.protections", *problem, show(item));
        continue;
      }
      spec.name = s->get();
      spec.params = stage_params;
      for (const auto* stage : spec.stages) {
        if (!stage->memory_problem) continue;
        if (const auto problem = stage->memory_problem(sc.geometry, spec.stage_params(*stage)))
          r.error(item.source(), "campaign.protections", *problem, show(item));
      }
      sc.protections.push_back(spec);
    }
    // `none` is always the baseline every protection is compared with (docs/protections.md).
    const bool has_none =
        std::any_of(sc.protections.begin(), sc.protections.end(),
                    [](const storage::ProtectionSpec& p) { return p.stages.empty(); });
    if (!has_none) {
      sc.protections.insert(sc.protections.begin(),
                            storage::ProtectionSpec{"none", {}, stage_params});
      sc.none_added = true;
    }
  }
}

// [inference]: how the engine treats a NaN in a hidden layer (docs/inference.md).
void read_inference(TomlReader& r, const toml::table& root, std::set<std::string>& top_known,
                    Scenario& sc) {
  auto inference = r.table(root, "inference", top_known, false);
  if (inference.table == nullptr) return;
  if (auto v = r.string(inference, "nan_policy", false, {"propagate", "flush_relu"}))
    sc.nan_policy = *nn::parse_nan_policy(*v);
  r.reject_unknown(inference);
}

// The rest of [campaign]: trials, seed, output, batches, scale words, fault maps, overrides.
void read_campaign_settings(TomlReader& r, Scenario& sc, TomlReader::Table& camp) {
  if (auto v = r.integer(camp, "trials", true, 1, 1'000'000)) sc.trials = static_cast<int>(*v);
  if (auto v = r.integer(camp, "seed", false, 0, std::numeric_limits<std::int64_t>::max())) {
    sc.seed = static_cast<std::uint64_t>(*v);
  }
  if (auto v = r.string(camp, "output", true)) sc.output = *v;
  if (auto v = r.number(camp, "critical_drop", false, 0.0, 1.0)) sc.critical_drop = *v;
  if (auto v = r.number(camp, "target_ci_halfwidth", false, 1e-6, 0.5)) {
    sc.target_ci_halfwidth = *v;
    sc.min_trials = std::min(sc.trials, 5);
  }
  if (const auto* n = r.node(camp, "min_trials", false)) {
    if (sc.target_ci_halfwidth <= 0.0) {
      r.error(n->source(), "campaign.min_trials", "only with campaign.target_ci_halfwidth");
    } else if (auto v = r.integer(camp, "min_trials", false, 2, std::max(sc.trials, 2))) {
      sc.min_trials = static_cast<int>(*v);
    }
  }
  if (auto v = r.integer(camp, "batch", false, 1, 65536)) sc.batch = static_cast<std::size_t>(*v);
  if (auto v = r.integer(camp, "engine_threads", false, 1, 64))
    sc.engine_threads = static_cast<int>(*v);
  if (auto v = r.integer(camp, "activation_cache_mib", false, 0, std::int64_t{1} << 20))
    sc.activation_cache_mib = static_cast<std::size_t>(*v);
  const bool scale_in_memory = r.boolean(camp, "int8_scale_in_memory").value_or(false);
  if (const auto* a = r.array(camp, "save_faultmaps", false)) {
    sc.save_faultmaps.clear();
    for (const auto& item : *a) {
      const auto* i = item.as_integer();
      if (i == nullptr || i->get() < 0 || i->get() >= sc.trials) {
        r.error(item.source(), "campaign.save_faultmaps",
                fmt::format("expected trial numbers 0..{} (campaign.trials = {})", sc.trials - 1,
                            sc.trials),
                show(item));
        continue;
      }
      sc.save_faultmaps.push_back(static_cast<int>(i->get()));
    }
  }
  std::map<std::string, storage::DType> overrides;
  if (const auto* n = r.node(camp, "fixed_point_overrides", false)) {
    if (const auto* t = n->as_table()) {
      for (const auto& [k, v] : *t) {
        const auto* s = v.as_string();
        const auto dtype = s ? storage::parse_dtype(s->get()) : std::nullopt;
        if (!dtype || dtype->number_class() != storage::NumberClass::fixed_point) {
          r.error(v.source(), fmt::format("campaign.fixed_point_overrides.{}", k.str()),
                  "expected a fixed-point format q<m>.<n> with m + n = 7", show(v));
          continue;
        }
        overrides[std::string(k.str())] = *dtype;
      }
    } else {
      r.error(n->source(), "campaign.fixed_point_overrides",
              "expected a table of layer = \"q<m>.<n>\"", show(*n));
    }
  }
  for (auto& d : sc.dtypes) {
    d.scale_in_memory = scale_in_memory;
    if (d.dtype.number_class() == storage::NumberClass::fixed_point) d.owner_overrides = overrides;
  }
  r.reject_unknown(camp);
}

// Top-level tables and keys no reader claimed.
void reject_unknown_tables(TomlReader& r, const toml::table& root,
                           std::set<std::string>& top_known) {
  for (const auto& [k, v] : root) {
    if (top_known.count(std::string(k.str())) == 0) {
      r.error(k.source(), std::string(k.str()),
              fmt::format("unknown table or key (known: {})", fmt::join(top_known, ", ")));
    }
  }
}

}  // namespace

Scenario load_scenario(const std::filesystem::path& path,
                       const memory::FaultModelRegistry& registry) {
  Scenario sc;
  sc.file = path.string();
  const toml::table root = parse_toml_file(path, "scenario file", sc.text);
  TomlReader r(sc.file);
  std::set<std::string> top_known;

  read_model_and_dataset(r, root, top_known, sc);
  read_memory(r, root, top_known, sc);
  read_timeline(r, root, top_known, sc);
  read_environment(r, root, top_known, sc);
  const auto keys = read_fault_models(r, root, top_known, sc, registry);
  read_sweep(r, root, top_known, sc, keys);
  check_fault_model_needs(r, sc, keys);
  auto camp = r.table(root, "campaign", top_known, true);
  read_dtypes(r, sc, camp);
  const auto stage_params = read_stage_params(r, root, top_known);
  read_protections(r, sc, camp, stage_params);
  read_campaign_settings(r, sc, camp);
  read_inference(r, root, top_known, sc);
  reject_unknown_tables(r, root, top_known);
  if (!r.errors().empty()) throw InputError(fmt::format("{}", fmt::join(r.errors(), "\n")));
  return sc;
}

}  // namespace weightfault::sim

#include "sim/results_file.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "common/input_error.h"
#include "sim/summary_stats.h"
#include "weightfault_version.h"

namespace weightfault::sim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t kUnset = -1;
constexpr std::uint8_t kZero = 0;

using Dims = std::vector<std::uint64_t>;

h5::Object make_double(const h5::Object& parent, const std::string& name, const Dims& dims,
                       const std::string& units) {
  auto ds = h5::create_dataset(parent, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, dims, &kNaN);
  h5::write_string_attribute(ds, "units", units);
  return ds;
}

h5::Object make_int(const h5::Object& parent, const std::string& name, const Dims& dims,
                    const std::string& units) {
  auto ds = h5::create_dataset(parent, name, H5T_STD_I64LE, H5T_NATIVE_INT64, dims, &kUnset);
  h5::write_string_attribute(ds, "units", units);
  return ds;
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::vector<std::uint8_t> encode_trial(const std::vector<TrialRecord>& records) {
  std::vector<std::uint8_t> out;
  const auto put = [&](auto value) {
    const auto* at = reinterpret_cast<const std::uint8_t*>(&value);
    out.insert(out.end(), at, at + sizeof(value));
  };
  const auto put_list = [&](const std::vector<std::int64_t>& values) {
    put(static_cast<std::uint64_t>(values.size()));
    for (const auto v : values) put(v);
  };
  put(static_cast<std::uint64_t>(records.size()));
  for (const auto& r : records) {
    for (const auto v : {r.point, r.trial, r.protection, r.dtype, r.checkpoint})
      put(static_cast<std::uint64_t>(v));
    put(r.accuracy);
    put(r.correct);
    put(r.faults_active);
    put(r.bits_changed);
    put(r.codewords_corrected);
    put(r.codewords_detected);
    put(r.codewords_silent);
    put_list(r.weights_changed);
    put_list(r.layers_dropped);
    put_list(r.flips_by_position);
    put_list(r.faults_by_model_kind);
  }
  return out;
}

std::vector<TrialRecord> decode_trial(const std::vector<std::uint8_t>& bytes) {
  std::size_t at = 0;
  const auto get = [&]<typename T>(T& value) {
    if (at + sizeof(T) > bytes.size()) throw std::runtime_error("decode_trial: message too short");
    std::memcpy(&value, bytes.data() + at, sizeof(T));
    at += sizeof(T);
  };
  const auto get_list = [&](std::vector<std::int64_t>& values) {
    std::uint64_t n = 0;
    get(n);
    if (n > bytes.size()) throw std::runtime_error("decode_trial: bad list length");
    values.resize(n);
    for (auto& v : values) get(v);
  };
  std::uint64_t count = 0;
  get(count);
  if (count > bytes.size()) throw std::runtime_error("decode_trial: bad record count");
  std::vector<TrialRecord> records(count);
  for (auto& r : records) {
    for (auto* field : {&r.point, &r.trial, &r.protection, &r.dtype, &r.checkpoint}) {
      std::uint64_t v = 0;
      get(v);
      *field = static_cast<std::size_t>(v);
    }
    get(r.accuracy);
    get(r.correct);
    get(r.faults_active);
    get(r.bits_changed);
    get(r.codewords_corrected);
    get(r.codewords_detected);
    get(r.codewords_silent);
    get_list(r.weights_changed);
    get_list(r.layers_dropped);
    get_list(r.flips_by_position);
    get_list(r.faults_by_model_kind);
  }
  if (at != bytes.size()) throw std::runtime_error("decode_trial: trailing bytes");
  return records;
}

ResultsWriter::ResultsWriter(const std::filesystem::path& path, const Scenario& sc,
                             const ResultsLayout& layout, std::uint64_t inputs_hash)
    : scenario_(sc), layout_(layout) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  file_ = h5::create_file(path);
  const std::uint64_t P = sc.points(), N = static_cast<std::uint64_t>(sc.trials),
                      T = sc.checkpoints();
  h5::write_string_attribute(file_, "tool_version", kToolVersion);
  h5::write_string_attribute(file_, "scenario_file", sc.file);
  h5::write_string_attribute(file_, "scenario_text", sc.text);
  h5::write_int_attribute(file_, "seed", {static_cast<std::int64_t>(sc.seed)});
  h5::write_string_attribute(file_, "created_utc", utc_now());
  h5::write_string_attribute(file_, "model", layout.model_name);
  h5::write_string_attribute(file_, "dataset", sc.dataset + "/" + sc.split);
  h5::write_int_attribute(file_, "images", {static_cast<std::int64_t>(layout.images)});
  h5::write_int_attribute(file_, "trials", {static_cast<std::int64_t>(N)});
  h5::write_double_attribute(file_, "critical_drop", sc.critical_drop);
  h5::write_string_attribute(file_, "nan_policy", std::string(nn::nan_policy_name(sc.nan_policy)));
  h5::write_string_list_attribute(file_, "protections", layout.protections);
  h5::write_string_list_attribute(file_, "dtypes", layout.dtypes);
  h5::write_string_attribute(file_, "inputs_hash", fmt::format("{:016x}", inputs_hash));

  const auto sweep = h5::create_group(file_, "sweep");
  for (std::size_t a = 0; a < sc.sweep.size(); ++a) {
    auto ds = make_double(sweep, sc.sweep[a].param, {P}, layout.sweep_units[a]);
    h5::write_all(ds, H5T_NATIVE_DOUBLE, sc.sweep[a].values.data());
  }
  auto time_ds = make_double(file_, "time_s", {T}, "s");
  h5::write_all(time_ds, H5T_NATIVE_DOUBLE, sc.checkpoints_s.data());
  h5::write_double_attribute(file_, "rewrite_interval_s", sc.rewrite_interval_s);

  const auto reference = h5::create_group(file_, "reference");
  const auto results = h5::create_group(file_, "results");
  std::vector<h5::Object> protection_groups;
  for (const auto& p : layout.protections)
    protection_groups.push_back(h5::create_group(results, p));
  cells_.resize(layout.protections.size() * layout.dtypes.size());
  for (std::size_t d = 0; d < layout.dtypes.size(); ++d) {
    const auto ref_group = h5::create_group(reference, layout.dtypes[d]);
    make_double(ref_group, "accuracy", {1}, "fraction");
    for (std::size_t p = 0; p < layout.protections.size(); ++p)
      create_cell(p, d, protection_groups[p]);
  }
  faultmaps_ = h5::create_group(file_, "faultmaps");
  // Faults active at each checkpoint by fault model and kind, simulated and expected.
  const auto faults = h5::create_group(file_, "faults");
  const std::uint64_t M = std::max<std::size_t>(layout.fault_models.size(), 1);
  faults_active_ = make_int(faults, "active", {P, N, T, M, 3}, "count");
  h5::write_string_list_attribute(faults_active_, "fault_models", layout.fault_models);
  h5::write_string_list_attribute(faults_active_, "kinds", {"flip", "stuck_at_0", "stuck_at_1"});
  faults_expected_ = make_double(faults, "expected_active", {P, T, M}, "count");
  h5::write_string_list_attribute(faults_expected_, "fault_models", layout.fault_models);
  h5::write_string_attribute(faults_expected_, "meaning",
                             "analytic expected number of fault records/cells active at each "
                             "checkpoint, per fault model (docs/results-format.md)");
  // Last: a file with a status has every dataset (resumable() asks for it).
  h5::write_string_attribute(file_, "status", "running");
  h5::flush(file_);
}

void ResultsWriter::write_ranks(int ranks) {
  h5::write_int_attribute(file_, "mpi_ranks", {ranks});
}

bool ResultsWriter::resumable(const std::filesystem::path& path) {
  try {
    return h5::has_attribute(h5::open_file(path), "status");
  } catch (const InputError&) {
    return false;  // killed while the file was being created: not even HDF5 yet
  }
}

ResultsWriter::ResultsWriter(const std::filesystem::path& path, const Scenario& sc,
                             const ResultsLayout& layout, std::uint64_t inputs_hash, Resume)
    : scenario_(sc), layout_(layout) {
  file_ = h5::open_file_rw(path);
  // The run continues only what an uninterrupted run of the same inputs would have written.
  const auto differs = [&](const char* what, const std::string& have, const std::string& want) {
    if (have != want)
      throw InputError(
          fmt::format("{}: cannot resume: the {} differs from the killed run's "
                      "(file: '{}', now: '{}')",
                      path.string(), what, have, want));
  };
  const auto text = [&](const char* name) { return h5::read_string_attribute(file_, name); };
  const auto integer = [&](const char* name) {
    return std::to_string(h5::read_int_attribute(file_, name).at(0));
  };
  differs("program version", text("tool_version"), kToolVersion);
  // The scenario is many lines: name the first that differs, not the whole text.
  if (const auto have = text("scenario_text"); have != sc.text) {
    std::istringstream a(have), b(sc.text);
    std::string line_a, line_b;
    int line = 0;
    while (true) {
      ++line;
      const bool more_a = static_cast<bool>(std::getline(a, line_a));
      const bool more_b = static_cast<bool>(std::getline(b, line_b));
      if (!more_a) line_a = "(end of file)";
      if (!more_b) line_b = "(end of file)";
      if (line_a != line_b || (!more_a && !more_b)) break;
    }
    throw InputError(
        fmt::format("{}: cannot resume: the scenario differs from the killed run's "
                    "at line {} (file: '{}', now: '{}')",
                    path.string(), line, line_a, line_b));
  }
  differs("seed", integer("seed"), std::to_string(sc.seed));
  differs("trial count", integer("trials"), std::to_string(sc.trials));
  differs("model or data (hash)", text("inputs_hash"), fmt::format("{:016x}", inputs_hash));
  differs("nan policy", text("nan_policy"), std::string(nn::nan_policy_name(sc.nan_policy)));
  if (h5::read_string_list_attribute(file_, "protections") != layout.protections ||
      h5::read_string_list_attribute(file_, "dtypes") != layout.dtypes)
    throw InputError(fmt::format("{}: cannot resume: protections or dtypes differ", path.string()));
  const std::size_t P = sc.points(), N = static_cast<std::size_t>(sc.trials);
  cells_.resize(layout.protections.size() * layout.dtypes.size());
  finished_.assign(P * N, true);
  for (std::size_t d = 0; d < layout.dtypes.size(); ++d)
    for (std::size_t p = 0; p < layout.protections.size(); ++p) open_cell(p, d);
  sum_kept_flips();
  faultmaps_ = h5::open_group(file_, "faultmaps");
  const auto faults = h5::open_group(file_, "faults");
  faults_active_ = h5::open_dataset(faults, "active");
  faults_expected_ = h5::open_dataset(faults, "expected_active");
}

// A cell of a file being resumed: its datasets, its finished trials' accuracies and flip
// counts, and which trials it has.
void ResultsWriter::open_cell(std::size_t p, std::size_t d) {
  Cell& c = cell(p, d);
  c.group = h5::open_group(h5::open_group(h5::open_group(file_, "results"), layout_.protections[p]),
                           layout_.dtypes[d]);
  c.accuracy = h5::open_dataset(c.group, "accuracy");
  c.correct = h5::open_dataset(c.group, "correct");
  c.faults_active = h5::open_dataset(c.group, "faults_active");
  c.bits_changed = h5::open_dataset(c.group, "bits_changed");
  c.codewords = h5::open_dataset(c.group, "codewords");
  c.weights_changed = h5::open_dataset(c.group, "weights_changed");
  c.layers_dropped = h5::open_dataset(c.group, "layers_dropped");
  c.flips = h5::open_dataset(c.group, "bit_flips_by_position_per_trial");
  c.finished = h5::open_dataset(c.group, "finished");
  c.reference = h5::open_dataset(c.group, "reference_accuracy");
  const auto finished = h5::read_int64s(c.finished);
  c.accuracy_values = h5::read_doubles(c.accuracy);
  for (std::size_t i = 0; i < finished.size(); ++i) {
    if (finished[i] == 0) finished_[i] = false;
  }
}

// Flip counts of the trials that are kept (finished in every cell; the others run again).
void ResultsWriter::sum_kept_flips() {
  const std::size_t P = scenario_.points(), N = static_cast<std::size_t>(scenario_.trials);
  for (auto& c : cells_) {
    const auto flips = h5::read_int64s(c.flips);
    const std::size_t B = flips.size() / (P * N);
    c.flips_total.assign(P * B, 0);
    for (std::size_t i = 0; i < P * N; ++i) {
      if (!finished_[i]) continue;
      for (std::size_t b = 0; b < B; ++b) c.flips_total[(i / N) * B + b] += flips[i * B + b];
    }
  }
}

// The datasets of one (protection, dtype) cell (docs/results-format.md).
void ResultsWriter::create_cell(std::size_t p, std::size_t d, const h5::Object& protection_group) {
  const std::uint64_t P = scenario_.points(), N = static_cast<std::uint64_t>(scenario_.trials),
                      T = scenario_.checkpoints(), L = layout_.layers.size();
  const auto& layout = layout_;
  Cell& c = cell(p, d);
  const std::uint64_t B = static_cast<std::uint64_t>(layout.word_bits[d]);
  c.group = h5::create_group(protection_group, layout.dtypes[d]);
  c.accuracy = make_double(c.group, "accuracy", {P, N, T}, "fraction");
  c.correct = make_int(c.group, "correct", {P, N, T}, "count");
  c.faults_active = make_int(c.group, "faults_active", {P, N, T}, "count");
  c.bits_changed = make_int(c.group, "bits_changed", {P, N, T}, "count");
  c.codewords = make_int(c.group, "codewords", {P, N, T, 3}, "count");
  h5::write_string_list_attribute(c.codewords, "outcomes",
                                  {"corrected", "detected_uncorrectable", "silent"});
  c.weights_changed = make_int(c.group, "weights_changed", {P, N, T, L}, "count");
  h5::write_string_list_attribute(c.weights_changed, "layers", layout.layers);
  c.layers_dropped = make_int(c.group, "layers_dropped", {P, N, T, L}, "flag");
  h5::write_string_list_attribute(c.layers_dropped, "layers", layout.layers);
  c.flips = make_int(c.group, "bit_flips_by_position_per_trial", {P, N, B}, "count");
  c.finished =
      h5::create_dataset(c.group, "finished", H5T_STD_U8LE, H5T_NATIVE_UINT8, {P, N}, &kZero);
  h5::write_string_attribute(c.finished, "units", "flag");
  c.reference = make_double(c.group, "reference_accuracy", {1}, "fraction");
  auto bpw = make_double(c.group, "bits_per_weight", {1}, "bit");
  h5::write_all(bpw, H5T_NATIVE_DOUBLE, &layout.bits_per_weight.at(p * layout.dtypes.size() + d));
  make_int(c.group, "bit_flips_by_position", {P, B}, "count");
  const auto summary = h5::create_group(c.group, "summary");
  for (const char* name : {"mean_accuracy", "std_accuracy", "ci95_low", "ci95_high",
                           "critical_fraction", "critical_ci95_low", "critical_ci95_high"}) {
    make_double(summary, name, {P, T}, "fraction");
  }
  make_int(summary, "trials_finished", {P}, "count");
  c.accuracy_values.assign(P * N * T, kNaN);
  c.flips_total.assign(P * B, 0);
}

void ResultsWriter::write_reference(std::size_t protection, std::size_t dtype, std::int64_t correct,
                                    double accuracy) {
  Cell& c = cell(protection, dtype);
  c.reference_accuracy = accuracy;
  h5::write_all(c.reference, H5T_NATIVE_DOUBLE, &accuracy);
  h5::write_int_attribute(c.reference, "correct", {correct});
  if (layout_.baseline[protection]) {
    const auto ref = h5::open_group(h5::open_group(file_, "reference"), layout_.dtypes[dtype]);
    auto ds = h5::open_dataset(ref, "accuracy");
    h5::write_all(ds, H5T_NATIVE_DOUBLE, &accuracy);
    h5::write_int_attribute(ds, "correct", {correct});
  }
}

void ResultsWriter::write_faultmap(std::size_t point, std::size_t trial,
                                   const memory::FaultMap& map,
                                   const memory::AddressMapping& mapping) {
  // One row per record: channel, rank, bank, row, column, bit, wildcard mask, kind, model.
  std::vector<std::int64_t> rows;
  const auto push = [&](const memory::PhysicalAddress& a, std::uint8_t wildcard,
                        memory::FaultKind kind, std::uint16_t model) {
    for (int f = 0; f < memory::kFieldCount; ++f)
      rows.push_back(static_cast<std::int64_t>(a.get(static_cast<memory::Field>(f))));
    rows.push_back(wildcard);
    rows.push_back(static_cast<std::int64_t>(kind));
    rows.push_back(model);
  };
  for (const auto& b : map.bit_faults())
    push(mapping.to_physical(b.linear_bit), 0, b.kind, b.model);
  for (const auto& r : map.records()) push(r.address, r.wildcard, r.kind, r.model);
  const std::string name = "point_" + std::to_string(point) + "_trial_" + std::to_string(trial);
  // A resumed run writes its seed data again (the same values): replace, not duplicate.
  for (const auto& old : {name, name + "_time_s"})
    if (h5::has_child(faultmaps_, old)) H5Ldelete(faultmaps_.id(), old.c_str(), H5P_DEFAULT);
  auto ds = h5::create_dataset(faultmaps_, name, H5T_STD_I64LE, H5T_NATIVE_INT64,
                               {rows.size() / 9, 9}, &kUnset);
  if (!rows.empty()) h5::write_all(ds, H5T_NATIVE_INT64, rows.data());
  h5::write_string_list_attribute(
      ds, "columns",
      {"channel", "rank", "bank", "row", "column", "bit", "wildcard", "kind", "model"});
  h5::write_string_attribute(ds, "units", "index");
  h5::write_string_attribute(ds, "kinds", "0 = flip, 1 = stuck_at_0, 2 = stuck_at_1");
  h5::write_string_attribute(
      ds, "wildcard", "bit i set: field i (channel, rank, bank, row, column, bit) is any value");
  h5::write_int_attribute(ds, "logical_faults",
                          {static_cast<std::int64_t>(map.logical_faults().size())});
  // Onset and clear time of each row (clear = inf: never cleared).
  std::vector<double> times;
  for (const auto& b : map.bit_faults()) times.insert(times.end(), {b.onset_s, b.clear_s});
  for (const auto& r : map.records()) times.insert(times.end(), {r.onset_s, r.clear_s});
  auto tds = h5::create_dataset(faultmaps_, name + "_time_s", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                {times.size() / 2, 2}, &kNaN);
  if (!times.empty()) h5::write_all(tds, H5T_NATIVE_DOUBLE, times.data());
  h5::write_string_list_attribute(tds, "columns", {"onset_s", "clear_s"});
  h5::write_string_attribute(tds, "units", "s");
}

void ResultsWriter::write_expected_faults(std::size_t point, const std::vector<double>& expected) {
  if (expected.empty()) return;
  const std::uint64_t T = scenario_.checkpoints();
  h5::write_block(faults_expected_, H5T_NATIVE_DOUBLE, {point, 0, 0}, {1, T, expected.size() / T},
                  expected.data());
}

void ResultsWriter::write_trials_run(const std::vector<std::int64_t>& trials_run) {
  const std::int64_t none = 0;
  const auto ds = h5::create_dataset(file_, "trials_run", H5T_STD_I64LE, H5T_NATIVE_INT64,
                                     {static_cast<std::uint64_t>(trials_run.size())}, &none);
  h5::write_all(ds, H5T_NATIVE_INT64, trials_run.data());
  if (scenario_.target_ci_halfwidth > 0.0) {
    h5::write_double_attribute(file_, "target_ci_halfwidth", scenario_.target_ci_halfwidth);
    h5::write_int_attribute(file_, "min_trials", {static_cast<std::int64_t>(scenario_.min_trials)});
  }
}

void ResultsWriter::write_trial(const TrialRecord& r) {
  Cell& c = cell(r.protection, r.dtype);
  const std::uint64_t p = r.point, k = r.trial, t = r.checkpoint;
  if (!r.faults_by_model_kind.empty()) {
    const std::uint64_t T = scenario_.checkpoints();
    h5::write_block(faults_active_, H5T_NATIVE_INT64, {p, k, 0, 0, 0},
                    {1, 1, T, r.faults_by_model_kind.size() / (T * 3), 3},
                    r.faults_by_model_kind.data());
  }
  h5::write_block(c.accuracy, H5T_NATIVE_DOUBLE, {p, k, t}, {1, 1, 1}, &r.accuracy);
  h5::write_block(c.correct, H5T_NATIVE_INT64, {p, k, t}, {1, 1, 1}, &r.correct);
  h5::write_block(c.faults_active, H5T_NATIVE_INT64, {p, k, t}, {1, 1, 1}, &r.faults_active);
  h5::write_block(c.bits_changed, H5T_NATIVE_INT64, {p, k, t}, {1, 1, 1}, &r.bits_changed);
  const std::int64_t codewords[3] = {r.codewords_corrected, r.codewords_detected,
                                     r.codewords_silent};
  h5::write_block(c.codewords, H5T_NATIVE_INT64, {p, k, t, 0}, {1, 1, 1, 3}, codewords);
  h5::write_block(c.weights_changed, H5T_NATIVE_INT64, {p, k, t, 0},
                  {1, 1, 1, r.weights_changed.size()}, r.weights_changed.data());
  if (!r.layers_dropped.empty()) {
    h5::write_block(c.layers_dropped, H5T_NATIVE_INT64, {p, k, t, 0},
                    {1, 1, 1, r.layers_dropped.size()}, r.layers_dropped.data());
  }
  const std::uint64_t T = scenario_.checkpoints();
  c.accuracy_values[(p * static_cast<std::uint64_t>(scenario_.trials) + k) * T + t] = r.accuracy;
  if (t + 1 < T) return;
  // The last checkpoint completes the trial: its flip positions, then the finished flag.
  h5::write_block(c.flips, H5T_NATIVE_INT64, {p, k, 0}, {1, 1, r.flips_by_position.size()},
                  r.flips_by_position.data());
  const std::size_t B = r.flips_by_position.size();
  for (std::size_t b = 0; b < B; ++b) c.flips_total[p * B + b] += r.flips_by_position[b];
  const std::uint8_t one = 1;
  h5::write_block(c.finished, H5T_NATIVE_UINT8, {p, k}, {1, 1}, &one);
}

void ResultsWriter::flush() {
  h5::flush(file_);
}

void ResultsWriter::mark_interrupted() {
  h5::write_string_attribute(file_, "status", "interrupted");
  h5::flush(file_);
}

void ResultsWriter::finish() {
  const std::size_t P = scenario_.points(), N = static_cast<std::size_t>(scenario_.trials);
  const std::size_t T = scenario_.checkpoints();
  for (auto& c : cells_) {
    const auto summary = h5::open_group(c.group, "summary");
    std::vector<double> mean(P * T), sd(P * T), lo(P * T), hi(P * T), crit(P * T), clo(P * T),
        chi(P * T);
    std::vector<std::int64_t> finished(P);
    for (std::size_t p = 0; p < P; ++p) {
      for (std::size_t t = 0; t < T; ++t) {
        std::vector<double> per_trial(N);
        for (std::size_t k = 0; k < N; ++k) per_trial[k] = c.accuracy_values[(p * N + k) * T + t];
        const auto s = summarize_cell(per_trial, c.reference_accuracy, scenario_.critical_drop);
        const std::size_t at = p * T + t;
        mean[at] = s.accuracy.mean;
        sd[at] = s.accuracy.std_dev;
        lo[at] = s.accuracy.low;
        hi[at] = s.accuracy.high;
        crit[at] = s.critical.fraction;
        clo[at] = s.critical.low;
        chi[at] = s.critical.high;
        finished[p] = static_cast<std::int64_t>(s.finished);
      }
    }
    const std::pair<const char*, std::vector<double>*> columns[] = {
        {"mean_accuracy", &mean},    {"std_accuracy", &sd},        {"ci95_low", &lo},
        {"ci95_high", &hi},          {"critical_fraction", &crit}, {"critical_ci95_low", &clo},
        {"critical_ci95_high", &chi}};
    for (const auto& [name, values] : columns) {
      h5::write_all(h5::open_dataset(summary, name), H5T_NATIVE_DOUBLE, values->data());
    }
    h5::write_all(h5::open_dataset(summary, "trials_finished"), H5T_NATIVE_INT64, finished.data());
    h5::write_all(h5::open_dataset(c.group, "bit_flips_by_position"), H5T_NATIVE_INT64,
                  c.flips_total.data());
  }
  h5::write_string_attribute(file_, "status", "complete");
  h5::flush(file_);
}

}  // namespace weightfault::sim

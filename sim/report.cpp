#include "sim/report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/hdf5_file.h"
#include "common/input_error.h"
#include "sim/summary_stats.h"
#include "storage/protection.h"

namespace weightfault::sim {
namespace {

// A results file is data a user may have edited or truncated: check what the report reads
// (docs/results-format.md) instead of trusting it. `want`: -1 where any extent will do.
void check_dims(const h5::Object& dataset, const std::vector<std::uint64_t>& dims,
                const std::vector<std::int64_t>& want, const char* meaning) {
  bool ok = dims.size() == want.size();
  for (std::size_t i = 0; ok && i < dims.size(); ++i)
    ok = want[i] < 0 || dims[i] == static_cast<std::uint64_t>(want[i]);
  if (ok) return;
  std::vector<std::string> shown;
  for (const auto w : want) shown.push_back(w < 0 ? "*" : std::to_string(w));
  throw InputError(fmt::format("{}: has shape [{}], expected [{}] ({})", dataset.where(),
                               fmt::join(dims, ", "), fmt::join(shown, ", "), meaning));
}

template <typename In>
void check_cell(const h5::Object& accuracy, const std::vector<std::uint64_t>& dims,
                const std::vector<double>& values, const std::vector<double>& reference,
                const In& in) {
  const std::uint64_t P = in.sweep_values.empty() ? 1 : in.sweep_values.front().size();
  const std::uint64_t T = in.times.size();
  if (dims.size() != 3 || dims[0] != P || dims[2] != T)
    throw InputError(
        fmt::format("{}: has shape [{}], expected [{}, trials, {}] (sweep points, "
                    "trials, checkpoints)",
                    accuracy.where(), fmt::join(dims, ", "), P, T));
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isnan(values[i]) && !(values[i] >= 0.0 && values[i] <= 1.0))
      throw InputError(
          fmt::format("{}: value {} at index {} is not an accuracy in [0, 1] (or NaN "
                      "for an unfinished trial)",
                      accuracy.where(), values[i], i));
  }
  if (reference.size() != 1 || !(reference[0] >= 0.0 && reference[0] <= 1.0))
    throw InputError(
        fmt::format("{}: reference_accuracy must be one value in [0, 1]", accuracy.where()));
}

// What every section of a report reads from the file's top level.
struct ReportInput {
  std::vector<std::string> protections, dtypes;
  double critical_drop = 0.0;
  std::string status;
  std::vector<std::string> sweep_names;
  std::vector<std::vector<double>> sweep_values;  // [axis][point]
  std::size_t points = 1;                         // sweep points (every axis has this many values)
  std::vector<double> times;
  bool timed = false;   // with a timeline, one row per checkpoint; else time 0 is implied
  std::size_t pw = 12;  // protection column: chains such as "layer_drop+clamp" are wider

  // The sweep (and time) columns of point p, checkpoint t: into a json row and a text line.
  void add_axes(nlohmann::json& row, std::string& line, std::size_t p, std::size_t t) const {
    for (std::size_t a = 0; a < sweep_names.size(); ++a) {
      row[sweep_names[a]] = sweep_values[a][p];
      line += fmt::format(" {:>10.3g}", sweep_values[a][p]);
    }
    if (timed) {
      row["time_s"] = times[t];
      line += fmt::format(" {:>10.3g}", times[t]);
    }
  }
  std::string axes_header() const {
    std::string h;
    for (const auto& n : sweep_names) h += fmt::format(" {:>10}", n);
    return h;
  }
};

ReportInput read_report_input(const h5::Object& file) {
  ReportInput in;
  in.protections = h5::read_string_list_attribute(file, "protections");
  in.dtypes = h5::read_string_list_attribute(file, "dtypes");
  in.critical_drop = h5::read_double_attribute(file, "critical_drop");
  in.status = h5::read_string_attribute(file, "status");
  const auto sweep_group = h5::open_group(file, "sweep");
  in.sweep_names = h5::child_names(sweep_group);
  for (const auto& n : in.sweep_names)
    in.sweep_values.push_back(h5::read_doubles(h5::open_dataset(sweep_group, n)));
  for (std::size_t a = 1; a < in.sweep_values.size(); ++a) {
    if (in.sweep_values[a].size() != in.sweep_values[0].size())
      throw InputError(fmt::format("{}: sweep axes '{}' and '{}' differ in length ({} and {})",
                                   sweep_group.where(), in.sweep_names[0], in.sweep_names[a],
                                   in.sweep_values[0].size(), in.sweep_values[a].size()));
  }
  in.points = in.sweep_values.empty() ? 1 : in.sweep_values.front().size();
  const auto time_ds = h5::open_dataset(file, "time_s");
  in.times = h5::read_doubles(time_ds);
  if (in.times.empty() || in.points == 0)
    throw InputError(fmt::format("{}: no checkpoints or no sweep points", time_ds.where()));
  in.timed = in.times.size() > 1;
  for (const auto& prot : in.protections) in.pw = std::max(in.pw, prot.size());
  return in;
}

// JSON has no NaN: an undefined number is null.
void null_nans(nlohmann::json& row) {
  for (auto& [key, value] : row.items()) {
    if (value.is_number_float() && std::isnan(value.get<double>())) value = nullptr;
  }
}

struct Section {
  nlohmann::json rows = nlohmann::json::array();
  std::string table, csv;
};

// Mean accuracy with its interval and the critical fraction, per protection, dtype, point, time.
Section accuracy_section(const h5::Object& results, const ReportInput& in) {
  Section s;
  std::string header = fmt::format("{:<{}} {:<9}", "protection", in.pw, "dtype") + in.axes_header();
  if (in.timed) header += fmt::format(" {:>10}", "time_s");
  header += fmt::format(" {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}", "trials", "reference", "mean",
                        "ci95_low", "ci95_high", "critical");
  s.csv = "protection,dtype";
  for (const auto& n : in.sweep_names) s.csv += "," + n;
  if (in.timed) s.csv += ",time_s";
  s.csv +=
      ",trials_finished,trials,reference_accuracy,mean_accuracy,ci95_low,ci95_high,critical_"
      "fraction,critical_ci95_low,critical_ci95_high\n";
  s.table = header + "\n";
  for (const auto& prot : in.protections) {
    const auto pgroup = h5::open_group(results, prot);
    for (const auto& dtype : in.dtypes) {
      const auto cell = h5::open_group(pgroup, dtype);
      const auto acc_ds = h5::open_dataset(cell, "accuracy");
      const auto dims = h5::dataset_dims(acc_ds);
      const auto acc = h5::read_doubles(acc_ds);
      const auto references = h5::read_doubles(h5::open_dataset(cell, "reference_accuracy"));
      check_cell(acc_ds, dims, acc, references, in);
      const double reference = references[0];
      const std::size_t P = dims.at(0), N = dims.at(1), T = dims.at(2);
      for (std::size_t pt = 0; pt < P * T; ++pt) {
        const std::size_t p = pt / T, t = pt % T;
        if (!in.timed && t + 1 < T) continue;
        std::vector<double> per_trial(N);
        for (std::size_t k = 0; k < N; ++k) per_trial[k] = acc[(p * N + k) * T + t];
        const auto sum = summarize_cell(per_trial, reference, in.critical_drop);
        nlohmann::json row{{"protection", prot},
                           {"dtype", dtype},
                           {"trials_finished", sum.finished},
                           {"trials", N},
                           {"reference_accuracy", reference},
                           {"mean_accuracy", sum.accuracy.mean},
                           {"ci95_low", sum.accuracy.low},
                           {"ci95_high", sum.accuracy.high},
                           {"critical_fraction", sum.critical.fraction},
                           {"critical_ci95_low", sum.critical.low},
                           {"critical_ci95_high", sum.critical.high}};
        std::string line = fmt::format("{:<{}} {:<9}", prot, in.pw, dtype);
        std::string csv_line = prot + "," + dtype;
        for (std::size_t a = 0; a < in.sweep_names.size(); ++a)
          csv_line += fmt::format(",{}", in.sweep_values[a][p]);
        if (in.timed) csv_line += fmt::format(",{}", in.times[t]);
        in.add_axes(row, line, p, t);
        line += fmt::format(" {:>3}/{:<3} {:>9.4f} {:>9.4f} {:>9.4f} {:>9.4f} {:>9.3f}",
                            sum.finished, N, reference, sum.accuracy.mean, sum.accuracy.low,
                            sum.accuracy.high, sum.critical.fraction);
        csv_line += fmt::format(",{},{},{},{},{},{},{},{},{}\n", sum.finished, N, reference,
                                sum.accuracy.mean, sum.accuracy.low, sum.accuracy.high,
                                sum.critical.fraction, sum.critical.low, sum.critical.high);
        s.table += line + "\n";
        s.csv += csv_line;
        null_nans(row);
        s.rows.push_back(row);
      }
    }
  }
  return s;
}

// Whether a chain detaches layers (layer_drop), asked of the stage registry.
bool detaches_layers(const std::string& chain) {
  try {
    return storage::make_protection(chain).has_effect(storage::NetworkEffect::detach_layers);
  } catch (const std::invalid_argument&) {
    return false;  // a file written with stages this build does not know
  }
}

// layer_drop: how often a failed CRC check made a read run a sub-model, and which layers.
Section layer_drop_section(const h5::Object& results, const ReportInput& in) {
  Section s;
  for (const auto& prot : in.protections) {
    if (!detaches_layers(prot)) continue;
    const auto pgroup = h5::open_group(results, prot);
    for (const auto& dtype : in.dtypes) {
      const auto cell = h5::open_group(pgroup, dtype);
      if (!h5::has_child(cell, "layers_dropped")) continue;
      const auto ds = h5::open_dataset(cell, "layers_dropped");
      const auto layers = h5::read_string_list_attribute(ds, "layers");
      const auto dims = h5::dataset_dims(ds);  // P, N, T, L
      const auto acc_ds = h5::open_dataset(cell, "accuracy");
      const auto acc_dims = h5::dataset_dims(acc_ds);  // checked by the accuracy section
      check_dims(
          ds, dims,
          {static_cast<std::int64_t>(in.points), static_cast<std::int64_t>(acc_dims.at(1)),
           static_cast<std::int64_t>(in.times.size()), static_cast<std::int64_t>(layers.size())},
          "sweep points, trials, checkpoints, layers");
      const auto dropped = h5::read_int64s(ds);
      const auto acc = h5::read_doubles(acc_ds);
      const std::size_t P = dims.at(0), N = dims.at(1), T = dims.at(2), L = dims.at(3);
      if (s.table.empty()) {
        s.table = fmt::format(
                      "\nlayer_drop: finished trials in which a failed CRC check ran a sub-model, "
                      "and the layers it detached\n{:<{}} {:<9}",
                      "protection", in.pw, "dtype") +
                  in.axes_header();
        s.table += fmt::format("{} {:>9}  {}\n", in.timed ? fmt::format(" {:>10}", "time_s") : "",
                               "detached", "layers (share of finished trials)");
      }
      for (std::size_t pt = 0; pt < P * T; ++pt) {
        const std::size_t p = pt / T, t = pt % T;
        if (!in.timed && t + 1 < T) continue;
        std::size_t finished = 0, any = 0;
        std::vector<std::size_t> per_layer(L, 0);
        for (std::size_t k = 0; k < N; ++k) {
          if (std::isnan(acc[(p * N + k) * T + t])) continue;
          ++finished;
          bool hit = false;
          for (std::size_t l = 0; l < L; ++l) {
            if (dropped[((p * N + k) * T + t) * L + l] > 0) {
              ++per_layer[l];
              hit = true;
            }
          }
          if (hit) ++any;
        }
        const auto share = [&](std::size_t n) {
          return finished ? static_cast<double>(n) / static_cast<double>(finished) : NAN;
        };
        nlohmann::json row{{"protection", prot},
                           {"dtype", dtype},
                           {"trials_finished", finished},
                           {"detached_fraction", share(any)}};
        std::string line = fmt::format("{:<{}} {:<9}", prot, in.pw, dtype);
        in.add_axes(row, line, p, t);
        line += fmt::format(" {:>8.0f}% ", 100.0 * share(any));
        nlohmann::json by_layer = nlohmann::json::object();
        for (std::size_t l = 0; l < L; ++l) {
          if (per_layer[l] == 0) continue;
          by_layer[layers[l]] = share(per_layer[l]);
          line += fmt::format(" {} {:.0f}%", layers[l], 100.0 * share(per_layer[l]));
        }
        row["detached_by_layer"] = by_layer;
        null_nans(row);
        s.rows.push_back(row);
        s.table += line + "\n";
      }
    }
  }
  return s;
}

// Codewords the faults reached, by outcome: mean per finished trial of corrected,
// detected-uncorrectable (DUE) and silently wrong (SDC) decode groups, and the share of
// trials with any DUE or SDC. Only where some trial reached a codeword.
Section codeword_section(const h5::Object& results, const ReportInput& in) {
  Section s;
  for (const auto& prot : in.protections) {
    const auto pgroup = h5::open_group(results, prot);
    for (const auto& dtype : in.dtypes) {
      const auto cell = h5::open_group(pgroup, dtype);
      if (!h5::has_child(cell, "codewords")) continue;  // a file from before the dataset
      const auto ds = h5::open_dataset(cell, "codewords");
      const auto dims = h5::dataset_dims(ds);  // P, N, T, 3
      const auto acc = h5::read_doubles(h5::open_dataset(cell, "accuracy"));
      check_dims(ds, dims,
                 {static_cast<std::int64_t>(in.points),
                  static_cast<std::int64_t>(acc.size() /
                                            std::max<std::size_t>(1, in.points * in.times.size())),
                  static_cast<std::int64_t>(in.times.size()), 3},
                 "sweep points, trials, checkpoints, outcomes");
      const auto counts = h5::read_int64s(ds);
      const std::size_t P = dims.at(0), N = dims.at(1), T = dims.at(2);
      if (std::all_of(counts.begin(), counts.end(), [](std::int64_t c) { return c == 0; }))
        continue;
      if (s.table.empty()) {
        s.table = fmt::format(
                      "\ncodewords the faults reached, mean per finished trial: corrected, "
                      "detected-uncorrectable (DUE), silently wrong (SDC); and the share of "
                      "trials with any DUE / SDC\n{:<{}} {:<9}",
                      "protection", in.pw, "dtype") +
                  in.axes_header();
        s.table += fmt::format("{} {:>10} {:>10} {:>10} {:>7} {:>7}\n",
                               in.timed ? fmt::format(" {:>10}", "time_s") : "", "corrected", "DUE",
                               "SDC", "anyDUE", "anySDC");
      }
      for (std::size_t pt = 0; pt < P * T; ++pt) {
        const std::size_t p = pt / T, t = pt % T;
        if (!in.timed && t + 1 < T) continue;
        double finished = 0, sums[3] = {0, 0, 0}, any_due = 0, any_sdc = 0;
        for (std::size_t k = 0; k < N; ++k) {
          if (std::isnan(acc[(p * N + k) * T + t])) continue;
          ++finished;
          const std::int64_t* c = &counts[((p * N + k) * T + t) * 3];
          for (int o = 0; o < 3; ++o) sums[o] += static_cast<double>(c[o]);
          any_due += c[1] > 0 ? 1 : 0;
          any_sdc += c[2] > 0 ? 1 : 0;
        }
        const auto mean = [&](double v) { return finished > 0 ? v / finished : NAN; };
        nlohmann::json row{{"protection", prot},
                           {"dtype", dtype},
                           {"trials_finished", finished},
                           {"corrected_mean", mean(sums[0])},
                           {"due_mean", mean(sums[1])},
                           {"sdc_mean", mean(sums[2])},
                           {"any_due_fraction", mean(any_due)},
                           {"any_sdc_fraction", mean(any_sdc)}};
        std::string line = fmt::format("{:<{}} {:<9}", prot, in.pw, dtype);
        in.add_axes(row, line, p, t);
        line +=
            fmt::format(" {:>10.4g} {:>10.4g} {:>10.4g} {:>6.0f}% {:>6.0f}%", mean(sums[0]),
                        mean(sums[1]), mean(sums[2]), 100.0 * mean(any_due), 100.0 * mean(any_sdc));
        null_nans(row);
        s.rows.push_back(row);
        s.table += line + "\n";
      }
    }
  }
  return s;
}

// Expected vs simulated active faults per fault model and checkpoint: a model that
// silently draws nothing cannot pass unnoticed.
Section fault_count_section(const h5::Object& file, const ReportInput& in) {
  Section s;
  if (!h5::has_child(file, "faults")) return s;
  const auto faults = h5::open_group(file, "faults");
  const auto active_ds = h5::open_dataset(faults, "active");
  const auto models = h5::read_string_list_attribute(active_ds, "fault_models");
  const auto dims = h5::dataset_dims(active_ds);  // P, N, T, M, 3
  const auto P_want = static_cast<std::int64_t>(in.points);
  const auto T_want = static_cast<std::int64_t>(in.times.size());
  const auto M_want = static_cast<std::int64_t>(models.size());
  check_dims(active_ds, dims, {P_want, -1, T_want, M_want, 3},
             "sweep points, trials, checkpoints, fault models, fault kinds");
  const auto active = h5::read_int64s(active_ds);
  const auto expected_ds = h5::open_dataset(faults, "expected_active");
  check_dims(expected_ds, h5::dataset_dims(expected_ds), {P_want, T_want, M_want},
             "sweep points, checkpoints, fault models");
  const auto expected = h5::read_doubles(expected_ds);
  const std::size_t P = dims.at(0), N = dims.at(1), T = dims.at(2), M = dims.at(3);
  s.table = fmt::format(
                "\nactive faults (records or cells) per fault model: analytic "
                "expectation vs simulated mean over finished trials\n{:<16}",
                "fault_model") +
            in.axes_header();
  s.table += fmt::format(" {:>10} {:>12} {:>12} {:>9} {:>9} {:>9}\n", "time_s", "expected",
                         "simulated", "flip", "stuck_0", "stuck_1");
  for (std::size_t p = 0; p < P; ++p) {
    for (std::size_t m = 0; m < std::min(M, models.size()); ++m) {
      for (std::size_t t = 0; t < T; ++t) {
        double sum = 0;
        std::array<double, 3> by_kind{};
        std::size_t trials = 0;
        for (std::size_t k = 0; k < N; ++k) {
          const std::size_t at = (((p * N + k) * T + t) * M + m) * 3;
          if (active[at] < 0) continue;  // unfinished trial
          ++trials;
          for (std::size_t kind = 0; kind < 3; ++kind) {
            by_kind[kind] += static_cast<double>(active[at + kind]);
            sum += static_cast<double>(active[at + kind]);
          }
        }
        const double mean = trials ? sum / static_cast<double>(trials) : NAN;
        for (auto& v : by_kind) v = trials ? v / static_cast<double>(trials) : NAN;
        const double exp_v = expected[(p * T + t) * M + m];
        nlohmann::json row{{"fault_model", models[m]},
                           {"time_s", in.times[t]},
                           {"expected_active", exp_v},
                           {"simulated_mean_active", mean},
                           {"trials_finished", trials}};
        s.table += fmt::format("{:<16}", models[m]);
        for (std::size_t a = 0; a < in.sweep_names.size(); ++a) {
          row[in.sweep_names[a]] = in.sweep_values[a][p];
          s.table += fmt::format(" {:>10.3g}", in.sweep_values[a][p]);
        }
        s.table += fmt::format(" {:>10.3g} {:>12.4g} {:>12.4g} {:>9.4g} {:>9.4g} {:>9.4g}\n",
                               in.times[t], exp_v, mean, by_kind[0], by_kind[1], by_kind[2]);
        null_nans(row);
        s.rows.push_back(row);
      }
    }
  }
  return s;
}

}  // namespace

std::string report_results(const std::filesystem::path& path, const std::string& format) {
  const auto file = h5::open_file(path);
  if (!h5::has_child(file, "results") || !h5::has_attribute(file, "dtypes")) {
    throw InputError(fmt::format("{}: not a weightfault results file", path.string()));
  }
  const auto in = read_report_input(file);
  const auto results = h5::open_group(file, "results");
  const auto accuracy = accuracy_section(results, in);
  const auto drops = layer_drop_section(results, in);
  const auto codewords = codeword_section(results, in);
  const auto faults = fault_count_section(file, in);
  if (format == "csv") return accuracy.csv;
  if (format == "json")
    return nlohmann::json{{"file", path.string()},       {"status", in.status},
                          {"rows", accuracy.rows},       {"layer_drop", drops.rows},
                          {"codewords", codewords.rows}, {"fault_counts", faults.rows}}
               .dump(2) +
           "\n";
  return fmt::format(
             "{} ({}; mean accuracy over finished trials, 95 % t interval; critical = accuracy "
             "below "
             "reference - {})\n",
             path.string(), in.status, in.critical_drop) +
         accuracy.table + drops.table + codewords.table + faults.table;
}

}  // namespace weightfault::sim

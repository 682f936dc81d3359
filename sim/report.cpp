#include "sim/report.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <nlohmann/json.hpp>

#include "common/hdf5_file.h"
#include "common/input_error.h"
#include "sim/summary_stats.h"

namespace weightfault::sim {

std::string report_results(const std::filesystem::path& path, const std::string& format) {
  const auto file = h5::open_file(path);
  if (!h5::has_child(file, "results") || !h5::has_attribute(file, "dtypes")) {
    throw InputError(fmt::format("{}: not a weightfault results file", path.string()));
  }
  const auto protections = h5::read_string_list_attribute(file, "protections");
  const auto dtypes = h5::read_string_list_attribute(file, "dtypes");
  const double critical_drop = h5::read_double_attribute(file, "critical_drop");
  const std::string status = h5::read_string_attribute(file, "status");
  const auto sweep_group = h5::open_group(file, "sweep");
  const auto sweep_names = h5::child_names(sweep_group);
  std::vector<std::vector<double>> sweep_values;
  for (const auto& n : sweep_names)
    sweep_values.push_back(h5::read_doubles(h5::open_dataset(sweep_group, n)));

  // With a timeline, one row per checkpoint; otherwise the single time 0 is implied.
  const auto times = h5::read_doubles(h5::open_dataset(file, "time_s"));
  const bool timed = times.size() > 1;
  nlohmann::json rows = nlohmann::json::array();
  std::string table;
  // Chains such as "layer_drop+clamp" are wider than the default column.
  std::size_t pw = 12;
  for (const auto& prot : protections) pw = std::max(pw, prot.size());
  std::string header = fmt::format("{:<{}} {:<9}", "protection", pw, "dtype");
  for (const auto& n : sweep_names) header += fmt::format(" {:>10}", n);
  if (timed) header += fmt::format(" {:>10}", "time_s");
  header += fmt::format(" {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}", "trials", "reference", "mean",
                        "ci95_low", "ci95_high", "critical");
  std::string csv = "protection,dtype";
  for (const auto& n : sweep_names) csv += "," + n;
  if (timed) csv += ",time_s";
  csv +=
      ",trials_finished,trials,reference_accuracy,mean_accuracy,ci95_low,ci95_high,critical_"
      "fraction,critical_ci95_low,critical_ci95_high\n";
  table = header + "\n";

  const auto results = h5::open_group(file, "results");
  for (const auto& prot : protections) {
    const auto pgroup = h5::open_group(results, prot);
    for (const auto& dtype : dtypes) {
      const auto cell = h5::open_group(pgroup, dtype);
      const auto acc_ds = h5::open_dataset(cell, "accuracy");
      const auto dims = h5::dataset_dims(acc_ds);
      const auto acc = h5::read_doubles(acc_ds);
      const double reference = h5::read_doubles(h5::open_dataset(cell, "reference_accuracy")).at(0);
      const std::size_t P = dims.at(0), N = dims.at(1), T = dims.at(2);
      for (std::size_t pt = 0; pt < P * T; ++pt) {
        const std::size_t p = pt / T, t = pt % T;
        if (!timed && t + 1 < T) continue;
        std::vector<double> per_trial(N);
        for (std::size_t k = 0; k < N; ++k) per_trial[k] = acc[(p * N + k) * T + t];
        const auto s = summarize_cell(per_trial, reference, critical_drop);
        nlohmann::json row{{"protection", prot},
                           {"dtype", dtype},
                           {"trials_finished", s.finished},
                           {"trials", N},
                           {"reference_accuracy", reference},
                           {"mean_accuracy", s.accuracy.mean},
                           {"ci95_low", s.accuracy.low},
                           {"ci95_high", s.accuracy.high},
                           {"critical_fraction", s.critical.fraction},
                           {"critical_ci95_low", s.critical.low},
                           {"critical_ci95_high", s.critical.high}};
        std::string line = fmt::format("{:<{}} {:<9}", prot, pw, dtype);
        std::string csv_line = prot + "," + dtype;
        for (std::size_t a = 0; a < sweep_names.size(); ++a) {
          row[sweep_names[a]] = sweep_values[a][p];
          line += fmt::format(" {:>10.3g}", sweep_values[a][p]);
          csv_line += fmt::format(",{}", sweep_values[a][p]);
        }
        if (timed) {
          row["time_s"] = times[t];
          line += fmt::format(" {:>10.3g}", times[t]);
          csv_line += fmt::format(",{}", times[t]);
        }
        line += fmt::format(" {:>3}/{:<3} {:>9.4f} {:>9.4f} {:>9.4f} {:>9.4f} {:>9.3f}", s.finished,
                            N, reference, s.accuracy.mean, s.accuracy.low, s.accuracy.high,
                            s.critical.fraction);
        csv_line += fmt::format(",{},{},{},{},{},{},{},{},{}\n", s.finished, N, reference,
                                s.accuracy.mean, s.accuracy.low, s.accuracy.high,
                                s.critical.fraction, s.critical.low, s.critical.high);
        table += line + "\n";
        csv += csv_line;
        for (auto& [key, value] : row.items()) {
          if (value.is_number_float() && std::isnan(value.get<double>())) value = nullptr;
        }
        rows.push_back(row);
      }
    }
  }
  // layer_drop: how often a failed CRC check made a read run a sub-model, and which layers.
  nlohmann::json drop_rows = nlohmann::json::array();
  std::string drop_table;
  for (const auto& prot : protections) {
    if (prot.find("layer_drop") == std::string::npos) continue;
    const auto pgroup = h5::open_group(results, prot);
    for (const auto& dtype : dtypes) {
      const auto cell = h5::open_group(pgroup, dtype);
      if (!h5::has_child(cell, "layers_dropped")) continue;
      const auto ds = h5::open_dataset(cell, "layers_dropped");
      const auto layers = h5::read_string_list_attribute(ds, "layers");
      const auto dims = h5::dataset_dims(ds);  // P, N, T, L
      const auto dropped = h5::read_int64s(ds);
      const auto acc = h5::read_doubles(h5::open_dataset(cell, "accuracy"));
      const std::size_t P = dims.at(0), N = dims.at(1), T = dims.at(2), L = dims.at(3);
      if (drop_table.empty()) {
        drop_table = fmt::format(
            "\nlayer_drop: finished trials in which a failed CRC check ran a sub-model, and the "
            "layers it detached\n{:<{}} {:<9}",
            "protection", pw, "dtype");
        for (const auto& n : sweep_names) drop_table += fmt::format(" {:>10}", n);
        drop_table += fmt::format("{} {:>9}  {}\n", timed ? fmt::format(" {:>10}", "time_s") : "",
                                  "detached", "layers (share of finished trials)");
      }
      for (std::size_t pt = 0; pt < P * T; ++pt) {
        const std::size_t p = pt / T, t = pt % T;
        if (!timed && t + 1 < T) continue;
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
        std::string line = fmt::format("{:<{}} {:<9}", prot, pw, dtype);
        for (std::size_t a = 0; a < sweep_names.size(); ++a) {
          row[sweep_names[a]] = sweep_values[a][p];
          line += fmt::format(" {:>10.3g}", sweep_values[a][p]);
        }
        if (timed) {
          row["time_s"] = times[t];
          line += fmt::format(" {:>10.3g}", times[t]);
        }
        line += fmt::format(" {:>8.0f}% ", 100.0 * share(any));
        nlohmann::json by_layer = nlohmann::json::object();
        for (std::size_t l = 0; l < L; ++l) {
          if (per_layer[l] == 0) continue;
          by_layer[layers[l]] = share(per_layer[l]);
          line += fmt::format(" {} {:.0f}%", layers[l], 100.0 * share(per_layer[l]));
        }
        row["detached_by_layer"] = by_layer;
        for (auto& [key, value] : row.items()) {
          if (value.is_number_float() && std::isnan(value.get<double>())) value = nullptr;
        }
        drop_rows.push_back(row);
        drop_table += line + "\n";
      }
    }
  }
  // Expected vs simulated active faults per fault model and checkpoint: a model that
  // silently draws nothing cannot pass unnoticed.
  nlohmann::json fault_rows = nlohmann::json::array();
  std::string fault_table;
  if (h5::has_child(file, "faults")) {
    const auto faults = h5::open_group(file, "faults");
    const auto active_ds = h5::open_dataset(faults, "active");
    const auto models = h5::read_string_list_attribute(active_ds, "fault_models");
    const auto dims = h5::dataset_dims(active_ds);  // P, N, T, M, 3
    const auto active = h5::read_int64s(active_ds);
    const auto expected = h5::read_doubles(h5::open_dataset(faults, "expected_active"));
    const std::size_t P = dims.at(0), N = dims.at(1), T = dims.at(2), M = dims.at(3);
    fault_table = fmt::format(
        "\nactive faults (records or cells) per fault model: analytic "
        "expectation vs simulated mean over finished trials\n{:<16}",
        "fault_model");
    for (const auto& n : sweep_names) fault_table += fmt::format(" {:>10}", n);
    fault_table += fmt::format(" {:>10} {:>12} {:>12} {:>9} {:>9} {:>9}\n", "time_s", "expected",
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
                             {"time_s", times[t]},
                             {"expected_active", exp_v},
                             {"simulated_mean_active", mean},
                             {"trials_finished", trials}};
          fault_table += fmt::format("{:<16}", models[m]);
          for (std::size_t a = 0; a < sweep_names.size(); ++a) {
            row[sweep_names[a]] = sweep_values[a][p];
            fault_table += fmt::format(" {:>10.3g}", sweep_values[a][p]);
          }
          fault_table += fmt::format(" {:>10.3g} {:>12.4g} {:>12.4g} {:>9.4g} {:>9.4g} {:>9.4g}\n",
                                     times[t], exp_v, mean, by_kind[0], by_kind[1], by_kind[2]);
          for (auto& [key, value] : row.items()) {
            if (value.is_number_float() && std::isnan(value.get<double>())) value = nullptr;
          }
          fault_rows.push_back(row);
        }
      }
    }
  }
  if (format == "csv") return csv;
  if (format == "json")
    return nlohmann::json{{"file", path.string()},
                          {"status", status},
                          {"rows", rows},
                          {"layer_drop", drop_rows},
                          {"fault_counts", fault_rows}}
               .dump(2) +
           "\n";
  return fmt::format(
             "{} ({}; mean accuracy over finished trials, 95 % t interval; critical = accuracy "
             "below "
             "reference - {})\n",
             path.string(), status, critical_drop) +
         table + drop_table + fault_table;
}

}  // namespace weightfault::sim

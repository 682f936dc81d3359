// weightfault: the command-line tool. Library code throws typed errors; this
// file alone prints them and picks the exit code (1 = bad input, 2 = usage).
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>

#include "common/input_error.h"
#include "common/output_file.h"
#include "memory_models/fault_model.h"
#include "nn/dataset.h"
#include "nn/evaluation.h"
#include "nn/inference_engine.h"
#include "nn/keras_import.h"
#include "nn/model_definition.h"
#include "nn/model_file.h"
#include "nn/onnx_import.h"
#include "nn/submodel.h"
#include "nn/trainer.h"
#include "sim/campaign.h"
#include "sim/clip_tuning.h"
#include "sim/cluster.h"
#include "sim/faultmap_picture.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "storage/dtype.h"
#include "storage/protection.h"
#include "weightfault_version.h"

#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

namespace {

namespace wf = weightfault;

// A whole number 0..max, checked on the text before conversion: CLI11's integer parse
// clamps values that overflow, and a negative count would wrap.
CLI::Validator whole_number(std::uint64_t max) {
  return CLI::Validator(
      [max](std::string& text) {
        std::uint64_t value = 0;
        const auto* end = text.data() + text.size();
        const auto [at, ec] = std::from_chars(text.data(), end, value);
        if (text.empty() || ec != std::errc() || at != end || value > max)
          return fmt::format("expected a whole number 0..{}; got '{}'", max, text);
        return std::string();
      },
      fmt::format("0..{}", max));
}
constexpr auto kMaxSeed = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

struct EvalArgs {
  std::string model;
  std::string dataset = "mnist";
  std::string split = "test";
  std::string data_root = "data";
  std::size_t limit = 0;
  std::size_t batch = 256;
  int threads = 1;
  bool per_class = false;
  std::string submodel;  // evaluate this sub-model instead of the base model
  std::string dataset_file, inputs = "inputs", labels = "labels";  // a user's HDF5 data
  std::string idx_images, idx_labels;                              // a user's IDX pair
  std::string nan_policy = "propagate";
};

struct ImportArgs {
  std::string input;
  std::string output;
  bool overwrite = false;
  float input_scale = 1.0f / 255.0f;
  float input_offset = 0.0f;
  std::vector<std::int64_t> input_shape;     // import-onnx: per sample, [] = the model's
  std::vector<float> input_mean, input_std;  // import-onnx: per channel
};

double percent(std::size_t part, std::size_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

int run_eval(const EvalArgs& args) {
  // A SAF model's effective kernels are f(stored).
  auto loaded = wf::nn::load_model(args.model);
  if (!args.submodel.empty()) {
    std::vector<std::string> names;
    const wf::nn::SubModel* sub = nullptr;
    for (const auto& s : loaded.submodels) {
      names.push_back(s.name);
      if (s.name == args.submodel) sub = &s;
    }
    if (sub == nullptr) {
      throw wf::InputError(fmt::format(
          "--submodel '{}': model '{}' has {}", args.submodel, loaded.name,
          names.empty() ? std::string("no sub-models") : fmt::format("sub-models {}", names)));
    }
    loaded = wf::nn::without_layers(loaded, sub->drop);
    loaded.name += "/" + args.submodel;
  }
  const auto network = wf::nn::effective_network(loaded, loaded.weight_transform);
  const auto data =
      !args.dataset_file.empty()
          ? wf::nn::load_dataset_file(args.dataset_file, args.inputs, args.labels, args.limit)
      : !args.idx_images.empty()
          ? wf::nn::load_idx_files(args.idx_images, args.idx_labels, args.limit)
          : wf::nn::load_dataset(args.data_root, args.dataset, args.split, args.limit);
  wf::nn::check_limit(data, args.limit, "--limit");
  wf::nn::InferenceEngine engine(network,
                                 {.threads = args.threads,
                                  .batch = args.batch,
                                  .nan_policy = *wf::nn::parse_nan_policy(args.nan_policy)});
  const auto start = std::chrono::steady_clock::now();
  const auto m = wf::nn::evaluate(engine, data);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  fmt::print("model: {} ({}), {} parameters\n", network.name, network.source,
             network.parameter_count());
  fmt::print("dataset: {}/{}, {} images\n", data.name, data.split, data.size());
  fmt::print("accuracy: {}/{} ({:.2f} %)\n", m.correct, m.total, percent(m.correct, m.total));
  fmt::print("top-5: {}/{} ({:.2f} %)\n", m.correct_top5, m.total,
             percent(m.correct_top5, m.total));
  fmt::print("cross-entropy: {:.6f} (mean over {} finite losses; {} not finite)\n",
             m.mean_cross_entropy(), m.total - m.nonfinite_loss, m.nonfinite_loss);
  fmt::print("NaN predictions: {}\n", m.nan_predictions);
  if (args.per_class) {
    for (std::size_t c = 0; c < m.class_total.size(); ++c) {
      fmt::print("class {}: {}/{} ({:.2f} %)\n", c, m.class_correct[c], m.class_total[c],
                 percent(m.class_correct[c], m.class_total[c]));
    }
  }
  fmt::print("time: {:.3f} s ({:.0f} images/s, batch {}, {} engine thread(s))\n", seconds,
             static_cast<double>(m.total) / seconds, args.batch, args.threads);
  return 0;
}

// Claims the output first (refused before any work), then imports, names the model after
// its file and writes it.
int write_imported(const ImportArgs& args,
                   const std::function<wf::nn::Network(const std::string& name)>& import) {
  const std::filesystem::path out(args.output);
  wf::OutputFile file(out, args.overwrite, {args.input});
  const auto network = import(out.stem().string());  // known by its file name from now on
  wf::nn::save_model(network, file.partial());
  file.commit();
  fmt::print("imported {} layers, {} parameters from {} to {}\n", network.size(),
             network.parameter_count(), args.input, args.output);
  return 0;
}

int run_import(const ImportArgs& args) {
  return write_imported(args, [&](const std::string& name) {
    wf::nn::KerasImportOptions options;
    options.normalization.scale = args.input_scale;
    options.normalization.offset = args.input_offset;
    auto network = wf::nn::import_keras(args.input, options);
    network.name = name;
    return network;
  });
}

int run_import_onnx(const ImportArgs& args) {
  return write_imported(args, [&](const std::string& name) {
    wf::nn::OnnxImportOptions options;
    if (!args.input_shape.empty()) options.input_shape = args.input_shape;
    options.normalization = {.scale = args.input_scale,
                             .offset = args.input_offset,
                             .mean = args.input_mean,
                             .std = args.input_std};
    options.name = name;
    return wf::nn::import_onnx(args.input, options);
  });
}

int run_info(const std::string& model) {
  const auto network = wf::nn::load_model(model, false);
  fmt::print("model: {} ({})\n", network.name, network.source);
  if (network.normalization.mean.empty()) {
    fmt::print("input normalization: x * {} + {}\n", network.normalization.scale,
               network.normalization.offset);
  } else {
    fmt::print("input normalization: (x * {} - mean) / std per channel, mean [{}], std [{}]\n",
               network.normalization.scale, fmt::join(network.normalization.mean, ", "),
               fmt::join(network.normalization.std, ", "));
  }
  for (const auto i : network.topological_order()) {
    const auto& layer = network.layer(i);
    std::size_t params = 0;
    for (const auto& [role, t] : layer.params) params += t.size();
    fmt::print("  {:<20} {:<16} -> {:<16} {:>9} params\n", layer.name, layer.op,
               wf::nn::shape_to_string(network.output_shape(i)), params);
  }
  fmt::print("total: {} parameters\n", network.parameter_count());
  for (const auto& sub : network.submodels) {
    const auto net = wf::nn::without_layers(network, sub.drop);
    fmt::print("sub-model {}: without {} ({} parameters)\n", sub.name, fmt::join(sub.drop, ", "),
               net.parameter_count());
  }
  return 0;
}

struct RunArgs {
  std::string scenario;
  std::string output;
  // Results never depend on the pool size, so use every core by default.
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int trials = 0;
  std::int64_t seed = -1;
  int only_trial = -1;
  std::string data_root = "data";
  bool overwrite = false;
  bool resume = false;
  bool full_eval = false;
};

int run_run(const RunArgs& args, const wf::memory::FaultModelRegistry& registry) {
  // Under mpirun / srun, this process is one rank of the run (docs/cluster.md): every rank
  // reads the scenario and sets up; rank 0 alone claims and writes the output.
  const wf::sim::Cluster cluster;
  std::exception_ptr failure;
  wf::sim::Scenario sc;
  try {
    sc = wf::sim::load_scenario(args.scenario, registry);
  } catch (...) {
    failure = std::current_exception();
  }
  cluster.stop_unless_all_ok(failure);
  if (!args.output.empty()) sc.output = args.output;
  if (args.trials > 0) sc.trials = args.trials;
  if (args.seed >= 0) sc.seed = static_cast<std::uint64_t>(args.seed);
  wf::sim::CampaignOptions options;
  options.threads = args.threads;
  options.data_root = args.data_root;
  options.progress = cluster.root() && ::isatty(STDERR_FILENO) != 0;
  if (args.only_trial >= 0) options.only_trial = args.only_trial;
  options.cluster = &cluster;
  // The results go to <output>.partial (readable while the run goes on) and are renamed
  // into place at the end; a run stopped after a finished trial leaves the partial file.
  std::optional<wf::OutputFile> file;
  if (cluster.root()) {
    try {
      if (args.resume)
        file.emplace(sc.output, wf::OutputFile::Resume{});
      else
        file.emplace(sc.output, args.overwrite, sc.input_files());
    } catch (...) {
      failure = std::current_exception();
    }
  }
  cluster.stop_unless_all_ok(failure);
  options.resume = args.resume;
  options.full_eval = args.full_eval;
  if (file) options.first_trial_written = [&file] { file->keep_partial_on_failure(); };
  auto partial = sc;
  if (file) partial.output = file->partial().string();
  // SIGINT / SIGTERM: trials in flight finish, the file stays resumable. The flag is the
  // one piece of process-wide state: a signal handler can reach nothing else.
  static std::atomic<bool> stop{false};
  options.stop = &stop;
  struct sigaction on_signal {};
  on_signal.sa_handler = [](int) { stop = true; };
  sigaction(SIGINT, &on_signal, nullptr);
  sigaction(SIGTERM, &on_signal, nullptr);
  const auto summary = wf::sim::run_campaign(partial, registry, options);
  if (!cluster.root()) return summary.interrupted ? 130 : 0;  // the root reports
  if (summary.interrupted) {
    file->keep_partial_on_failure();
    fmt::print(stderr,
               "weightfault: interrupted after {} trial(s); {} holds them: continue with "
               "`weightfault run {} --resume`\n",
               summary.trials_run, file->partial().string(), args.scenario);
    return 130;
  }
  file->commit();
  fmt::print(
      "wrote {}: {} trials x {} dtypes ({} evaluations) in {:.1f} s (set-up {:.1f} s, {:.2f} "
      "trials/s){}\n",
      sc.output, summary.trials_run, sc.dtypes.size(), summary.evaluations, summary.seconds,
      summary.setup_seconds, static_cast<double>(summary.trials_run) / summary.seconds,
      cluster.size() > 1
          ? fmt::format(" on {} MPI ranks ({} bytes of trial records sent to rank 0)",
                        cluster.size(), summary.bytes_received)
          : "");
  fmt::print("{}", wf::sim::report_results(sc.output, "table"));
  return 0;
}

struct TuneArgs {
  std::string model;
  std::string output;
  bool overwrite = false;
  wf::sim::ClipTuningOptions options;
};

int run_tune_clip(const TuneArgs& args) {
  wf::OutputFile file(args.output, args.overwrite, {args.model});  // refused before the work
  auto original = wf::nn::load_model(args.model, false);  // saved as it was, plus thresholds
  const auto network = wf::nn::load_model(args.model);
  const auto start = std::chrono::steady_clock::now();
  const auto result = wf::sim::tune_clip_thresholds(network, args.options);
  fmt::print("{:<20} {:>14} {:>10}\n", "relu layer", "max activation", "threshold");
  for (const auto& l : result.layers) {
    fmt::print("{:<20} {:>14.4f} {:>10.4f}\n", l.layer, l.max_activation, l.threshold);
    original.mutable_layer(original.index_of(l.layer)).clip_threshold = l.threshold;
  }
  original.clip_tuning = result.record;
  wf::nn::save_model(original, file.partial());
  file.commit();
  fmt::print("calibration accuracy without faults: {:.4f} with ReLU, {:.4f} clipped\n",
             result.clean_unclipped, result.clean_tuned);
  fmt::print("mean accuracy under the tuning faults: {:.4f} with ReLU, {:.4f} clipped\n",
             result.objective_unclipped, result.objective_tuned);
  fmt::print("wrote {} in {:.1f} s\n", args.output,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return 0;
}

struct TrainArgs {
  std::string definition;
  std::string output;
  bool overwrite = false;
  std::string from;
  std::string data_root = "data";
  std::optional<std::size_t> epochs;
  std::optional<std::uint64_t> seed;
  std::optional<int> threads;
  std::size_t limit = 0;
};

int run_train(const TrainArgs& args, const std::string& command) {
  // Weights are initialized from the seed, so a --seed override applies at load.
  auto def = wf::nn::load_model_definition(args.definition, args.seed);
  if (args.epochs) def.settings.epochs = *args.epochs;
  if (args.threads) def.settings.threads = *args.threads;
  std::optional<wf::nn::Network> start;
  if (!args.from.empty()) start = wf::nn::load_model(args.from, false);
  wf::nn::TrainOptions options;
  wf::OutputFile file(args.output, args.overwrite, {args.definition, args.from});
  options.output = file.partial().string();
  options.data_root = args.data_root;
  options.command = command;
  options.progress = true;
  options.limit = args.limit;
  options.start = start ? &*start : nullptr;
  const auto report = wf::nn::train_model(def, options);
  file.commit();
  fmt::print("{}: {} epochs in {:.1f} s on {} thread(s); test accuracy {:.4f} ({})\n", args.output,
             def.settings.epochs, report.seconds, def.settings.threads, report.test_accuracy,
             def.settings.dataset);
  for (std::size_t k = 0; k < report.submodel_test_accuracy.size(); ++k) {
    fmt::print("  sub-model {}: test accuracy {:.4f}\n", def.network.submodels[k].name,
               report.submodel_test_accuracy[k]);
  }
  return 0;
}

int run_validate(const std::vector<std::string>& files, const std::string& data_root,
                 const wf::memory::FaultModelRegistry& registry) {
  int status = 0;
  for (const auto& f : files) {
    try {
      const auto sc = wf::sim::load_scenario(f, registry);
      // Everything `run` checks before its first evaluation, without evaluating.
      const auto check = wf::sim::check_campaign(sc, data_root);
      fmt::print(
          "{}: ok ({} sweep points x {} trials x {} dtypes; model {}, {} images, {:.1f} of {:.1f} "
          "MiB of the memory used)\n",
          f, sc.points(), sc.trials, sc.dtypes.size(), check.model, check.images,
          static_cast<double>(check.stored_bits) / 8.0 / 1048576.0,
          static_cast<double>(check.capacity_bits) / 8.0 / 1048576.0);
    } catch (const wf::InputError& e) {
      fmt::print(stderr, "{}\n", e.what());
      status = 1;
    }
  }
  return status;
}

int run_list(const wf::memory::FaultModelRegistry& registry) {
  fmt::print("fault models:\n");
  for (const auto& m : registry.all()) fmt::print("  {:<14} {}\n", m.name, m.description);
  fmt::print("dtypes:\n  {}\n", wf::storage::dtype_choices());
  fmt::print("protections (chain stages with '+', e.g. scale+secded):\n  none\n");
  for (const auto& st : wf::storage::protection_stages())
    fmt::print("  {:<14} {}\n", st.name, st.description);
  fmt::print(
      "address mappings:\n  any order of the tokens Ch, Ra, Ba, Ro, Co (e.g. RoBaRaCoCh, "
      "ChRaBaRoCo)\n");
  return 0;
}

void print_params(const std::vector<wf::ParamDecl>& params) {
  std::size_t width = 0;  // the key column fits the longest key
  for (const auto& p : params) width = std::max(width, p.key.size());
  for (const auto& p : params) {
    fmt::print("  {:<{}} {}{}; {}{}\n  {:<{}} {}\n", p.key, width, wf::describe_rule(p),
               p.unit.empty() ? "" : " [" + p.unit + "]",
               p.default_value ? "default " + wf::to_string(*p.default_value) : "required",
               p.sweepable ? ", sweepable" : "", "", width, p.description);
  }
}

void print_dtype(const wf::storage::DType& d) {
  constexpr std::string_view kClass[] = {"floating point", "fixed point", "scaled integer"};
  fmt::print("{}: dtype; {}\n", d.name(), d.traits->description);
  fmt::print("  bits          {} per stored word\n", d.bits());
  fmt::print("  number class  {}\n", kClass[static_cast<int>(d.number_class())]);
  fmt::print("  largest value {:g}{}\n", d.max_value(), d.has_tensor_scale() ? " x scale" : "");
  fmt::print("  tensor scale  {}\n",
             d.has_tensor_scale()
                 ? "one per tensor (fp32; in fault-prone memory with int8_scale_in_memory)"
                 : "none");
}

// Fault models, protection stages and dtypes, each from its own table.
int run_describe(const std::string& name, const wf::memory::FaultModelRegistry& registry) {
  if (const auto* info = registry.find(name)) {
    fmt::print("{}: {}\n", info->name, info->description);
    print_params(info->params);
    return 0;
  }
  if (const auto* stage = wf::storage::find_stage(name)) {
    fmt::print("{}: protection stage; {}\n", stage->name, stage->description);
    if (stage->params.empty()) fmt::print("  (no parameters)\n");
    print_params(stage->params);
    return 0;
  }
  if (const auto dtype = wf::storage::parse_dtype(name)) {
    print_dtype(*dtype);
    return 0;
  }
  std::vector<std::string> stages;
  for (const auto& st : wf::storage::protection_stages()) stages.push_back(st.name);
  throw wf::InputError(fmt::format(
      "unknown name '{}' (fault models: {}; protection stages: {}; dtypes: {})", name,
      fmt::join(registry.names(), ", "), fmt::join(stages, ", "), wf::storage::dtype_choices()));
}

CLI::App* add_eval_command(CLI::App& app, EvalArgs& eval) {
  auto* cmd = app.add_subcommand("eval", "Evaluate a model on a dataset (no faults)");
  cmd->add_option("--model,-m", eval.model, "weightfault model file (.h5)")->required();
  cmd->add_option("--dataset,-d", eval.dataset, "dataset name")
      ->check(CLI::IsMember(wf::nn::known_dataset_names()))
      ->capture_default_str();
  cmd->add_option("--split", eval.split, "dataset split")
      ->check(CLI::IsMember(wf::nn::known_split_names()))
      ->capture_default_str();
  cmd->add_option("--limit,-n", eval.limit, "use only the first N images (0 = all)")
      ->check(whole_number(std::numeric_limits<std::uint32_t>::max()))
      ->capture_default_str();
  cmd->add_option("--batch,-b", eval.batch, "images per oneDNN batch")
      ->check(CLI::Range(std::size_t{1}, std::size_t{65536}))
      ->capture_default_str();
  cmd->add_option("--nan-policy", eval.nan_policy,
                  "what a NaN in a hidden layer does (docs/inference.md)")
      ->check(CLI::IsMember({"propagate", "flush_relu"}));
  cmd->add_option("--threads,-t", eval.threads, "oneDNN threads of the engine")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--data-root", eval.data_root, "folder holding external/<dataset>/")
      ->capture_default_str();
  cmd->add_flag("--per-class", eval.per_class, "print the accuracy of every class");
  cmd->add_option("--submodel", eval.submodel,
                  "evaluate this sub-model (the network without its detached layers)");
  auto* file = cmd->add_option("--dataset-file", eval.dataset_file,
                               "a user's HDF5 data: datasets --inputs and --labels "
                               "(docs/datasets.md)");
  cmd->add_option("--inputs", eval.inputs, "inputs dataset in --dataset-file")
      ->capture_default_str();
  cmd->add_option("--labels", eval.labels, "labels dataset in --dataset-file")
      ->capture_default_str();
  auto* idx = cmd->add_option("--idx-images", eval.idx_images, "a user's IDX images file");
  cmd->add_option("--idx-labels", eval.idx_labels, "its IDX labels file")->needs(idx);
  idx->needs(cmd->get_option("--idx-labels"));
  file->excludes(idx);
  return cmd;
}

// --input-scale and --input-offset of both importers; returns --input-offset.
CLI::Option* add_input_scale_options(CLI::App* cmd, ImportArgs& import) {
  cmd->add_option("--input-scale", import.input_scale, "network input = pixel * scale + offset")
      ->capture_default_str();
  return cmd->add_option("--input-offset", import.input_offset, "see --input-scale")
      ->capture_default_str();
}

CLI::App* add_import_command(CLI::App& app, ImportArgs& import) {
  auto* cmd =
      app.add_subcommand("import-keras", "Convert a Keras 2.x HDF5 model to a weightfault model");
  cmd->add_option("input", import.input, "Keras .h5 file (Sequential model)")->required();
  cmd->add_option("--output,-o", import.output, "weightfault model file to write")->required();
  cmd->add_flag("--overwrite", import.overwrite, "replace the output file if it exists");
  add_input_scale_options(cmd, import);
  return cmd;
}

CLI::App* add_import_onnx_command(CLI::App& app, ImportArgs& import) {
  auto* cmd =
      app.add_subcommand("import-onnx",
                         "Convert an ONNX model (e.g. exported by PyTorch) to a weightfault "
                         "model (docs/onnx.md)");
  cmd->add_option("input", import.input, "ONNX model file (.onnx)")->required();
  cmd->add_option("--output,-o", import.output, "weightfault model file to write")->required();
  cmd->add_flag("--overwrite", import.overwrite, "replace the output file if it exists");
  cmd->add_option("--input-shape", import.input_shape,
                  "per-sample input shape, e.g. 3,32,32 (default: the model's static shape)")
      ->delimiter(',');
  import.input_scale = 1.0f;  // ONNX networks usually take their inputs as exported
  auto* offset = add_input_scale_options(cmd, import);
  auto* mean = cmd->add_option("--input-mean", import.input_mean,
                               "per channel: input = (pixel * scale - mean) / std, e.g. "
                               "0.485,0.456,0.406")
                   ->delimiter(',');
  auto* std = cmd->add_option("--input-std", import.input_std, "per channel, see --input-mean")
                  ->delimiter(',');
  mean->needs(std);
  std->needs(mean);
  mean->excludes(offset);
  return cmd;
}

CLI::App* add_run_command(CLI::App& app, RunArgs& run) {
  auto* cmd = app.add_subcommand("run", "Run a scenario's campaign and write its HDF5 results");
  cmd->add_option("scenario", run.scenario, "scenario file (.toml)")->required();
  cmd->add_option("--output,-o", run.output,
                  "results file (default: the scenario's campaign.output)");
  cmd->add_flag("--overwrite", run.overwrite, "replace the output file if it exists");
  cmd->add_flag("--full-eval", run.full_eval,
                "evaluate every trial over the whole network (no restart at the first changed "
                "layer): the plain way, to check a result both ways");
  cmd->add_flag("--resume", run.resume,
                "continue a killed run from OUTPUT.partial (same scenario, model, data, version)");
  cmd->add_option("--threads,-j", run.threads, "trials evaluated in parallel")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--trials", run.trials, "override campaign.trials")
      ->check(CLI::Range(1, 1000000));
  // Seeds are 0..2^63-1, as campaign.seed; larger values are refused, never clamped.
  cmd->add_option("--seed", run.seed, "override campaign.seed (0..2^63-1)")
      ->check(whole_number(kMaxSeed));
  cmd->add_option("--only-trial", run.only_trial, "rerun only trial K of every sweep point")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--data-root", run.data_root, "folder holding external/<dataset>/")
      ->capture_default_str();
  return cmd;
}

CLI::App* add_train_command(CLI::App& app, TrainArgs& train) {
  auto* cmd = app.add_subcommand(
      "train", "Train a network from a model-definition file on oneDNN (docs/training.md)");
  cmd->add_option("definition", train.definition, "model definition (.toml)")->required();
  cmd->add_option("--output,-o", train.output, "model file to write (after every epoch)")
      ->required();
  cmd->add_flag("--overwrite", train.overwrite, "replace the output file if it exists");
  cmd->add_option("--from", train.from, "start from this model's weights (adaptation)");
  cmd->add_option("--epochs", train.epochs, "override training.epochs")->check(CLI::Range(1, 1000));
  cmd->add_option("--seed", train.seed, "override training.seed")->check(whole_number(kMaxSeed));
  cmd->add_option("--threads", train.threads, "override training.threads")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--limit", train.limit, "train on the first N training images only")
      ->check(whole_number(std::numeric_limits<std::uint32_t>::max()));
  cmd->add_option("--data-root", train.data_root, "folder holding external/<dataset>/")
      ->capture_default_str();
  return cmd;
}

struct FaultmapArgs {
  std::string scenario, png = "faultmap.png", data;
  bool overwrite = false;
  wf::sim::FaultmapRequest request;
};

CLI::App* add_faultmap_command(CLI::App& app, FaultmapArgs& args) {
  auto* cmd = app.add_subcommand(
      "faultmap", "Draw one trial's faults at one time (bank x row, and row x column of a bank)");
  cmd->add_option("scenario", args.scenario, "scenario file (.toml)")->required();
  cmd->add_option("--trial", args.request.trial, "trial number")->capture_default_str();
  cmd->add_option("--point", args.request.point, "sweep point")->capture_default_str();
  cmd->add_option("--at", args.request.at_s, "simulated time (s)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--output,-o", args.png, "PNG file")->capture_default_str();
  cmd->add_option("--data", args.data,
                  "also write the picture's content as JSON (for examples/plot_faultmap.py)");
  cmd->add_flag("--overwrite", args.overwrite, "replace the output files if they exist");
  return cmd;
}

CLI::App* add_tune_clip_command(CLI::App& app, TuneArgs& tune) {
  tune.options.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto* cmd =
      app.add_subcommand("tune-clip", "Tune FT-ClipAct thresholds on the calibration split");
  cmd->add_option("model", tune.model, "weightfault model file")->required();
  cmd->add_option("--output,-o", tune.output, "model file to write, with thresholds")->required();
  cmd->add_flag("--overwrite", tune.overwrite, "replace the output file if it exists");
  cmd->add_option("--dataset,-d", tune.options.dataset, "dataset (its calibration split is used)")
      ->check(CLI::IsMember(wf::nn::known_dataset_names()))
      ->capture_default_str();
  cmd->add_option("--images", tune.options.images, "calibration images used")
      ->check(CLI::Range(std::size_t{10}, std::size_t{5000}))
      ->capture_default_str();
  cmd->add_option("--threads", tune.options.threads, "oneDNN threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--seed", tune.options.seed, "seed of the tuning fault draws")
      ->check(whole_number(kMaxSeed))
      ->capture_default_str();
  cmd->add_option("--data-root", tune.options.data_root, "folder holding external/<dataset>/")
      ->capture_default_str();
  return cmd;
}

}  // namespace

// The command table: each subcommand declared, then dispatched (one short block each).
// After an error every object of the command has been destroyed (files closed, partial
// outputs kept or removed). A file whose last write failed (a full disk) leaves HDF5's
// own exit handler a broken file to close, which crashes: exit without it.
int exit_after_error(int status) {
  std::fflush(nullptr);
  std::_Exit(status);
}

int main(int argc, char** argv) {
  CLI::App app{
      "weightfault: what memory faults do to a neural network, and which protection helps"};
  app.set_version_flag("--version", std::string("weightfault ") + wf::kToolVersion);
  app.require_subcommand(1);

  EvalArgs eval;
  auto* eval_cmd = add_eval_command(app, eval);

  ImportArgs import;
  auto* import_cmd = add_import_command(app, import);
  ImportArgs import_onnx;
  auto* import_onnx_cmd = add_import_onnx_command(app, import_onnx);

  std::string info_model;
  auto* info_cmd = app.add_subcommand("info", "Print a model's layers and shapes");
  info_cmd->add_option("model", info_model, "weightfault model file")->required();

  wf::memory::FaultModelRegistry registry;
  wf::memory::register_builtin_fault_models(registry);

  RunArgs run;
  auto* run_cmd = add_run_command(app, run);

  std::vector<std::string> validate_files;
  auto* validate_cmd = app.add_subcommand("validate", "Check scenario files without running them");
  validate_cmd->add_option("files", validate_files, "scenario files")->required();
  std::string validate_data_root = "data";
  validate_cmd->add_option("--data-root", validate_data_root, "folder holding external/<dataset>/")
      ->capture_default_str();

  std::string report_file;
  std::string report_format = "table";
  auto* report_cmd = app.add_subcommand("report", "Summarize a results file");
  report_cmd->add_option("results", report_file, "results file (.h5)")->required();
  report_cmd->add_option("--format", report_format, "output format")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();

  TrainArgs train;
  auto* train_cmd = add_train_command(app, train);

  FaultmapArgs faultmap;
  auto* faultmap_cmd = add_faultmap_command(app, faultmap);

  TuneArgs tune;
  auto* tune_cmd = add_tune_clip_command(app, tune);

  auto* list_cmd = app.add_subcommand("list", "List fault models, dtypes and protections");
  std::string describe_name;
  auto* describe_cmd = app.add_subcommand(
      "describe", "Show a fault model's, protection stage's or dtype's parameters");
  describe_cmd->add_option("name", describe_name, "fault model, protection stage or dtype")
      ->required();

  // A first word that is no command: say so and list them (CLI11 would only say that a
  // subcommand is required).
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands({})) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      fmt::print(stderr, "weightfault: unknown command '{}' (commands: {})\n", argv[1],
                 fmt::join(names, ", "));
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (*eval_cmd) return run_eval(eval);
    if (*import_cmd) return run_import(import);
    if (*import_onnx_cmd) return run_import_onnx(import_onnx);
    if (*info_cmd) return run_info(info_model);
    if (*run_cmd) return run_run(run, registry);
    if (*validate_cmd) return run_validate(validate_files, validate_data_root, registry);
    if (*report_cmd) {
      fmt::print("{}", wf::sim::report_results(report_file, report_format));
      return 0;
    }
    if (*train_cmd) {
      std::string command = "weightfault";
      for (int k = 1; k < argc; ++k) command += std::string(" ") + argv[k];
      return run_train(train, command);
    }
    if (*faultmap_cmd) {
      const auto sc = wf::sim::load_scenario(faultmap.scenario, registry);
      wf::OutputFile file(faultmap.png, faultmap.overwrite, sc.input_files());
      std::optional<wf::OutputFile> data;
      if (!faultmap.data.empty()) data.emplace(faultmap.data, faultmap.overwrite, sc.input_files());
      const std::filesystem::path data_partial = data ? data->partial() : std::filesystem::path();
      auto summary = wf::sim::draw_faultmap(sc, faultmap.request, file.partial(),
                                            data ? &data_partial : nullptr);
      file.commit();
      if (data) data->commit();
      const auto at = summary.find(file.partial().string());
      if (at != std::string::npos)
        summary.replace(at, file.partial().string().size(), faultmap.png);
      fmt::print("{}\n", summary);
      return 0;
    }
    if (*list_cmd) return run_list(registry);
    if (*tune_cmd) return run_tune_clip(tune);
    if (*describe_cmd) return run_describe(describe_name, registry);
  } catch (const wf::sim::PeerFailed&) {
    return exit_after_error(1);  // another rank of this MPI run reported why
  } catch (const wf::InputError& e) {
    fmt::print(stderr, "weightfault: error: {}\n", e.what());
    return exit_after_error(1);
  } catch (const std::exception& e) {
    fmt::print(stderr, "weightfault: internal error: {}\n", e.what());
    return exit_after_error(3);
  }
  return 2;
}

// ONNX conformance: runs the official backend test data (Debian libonnx-testdata:
// node, pytorch-converted and pytorch-operator cases, each a model.onnx with
// input_N.pb / output_N.pb) through weightfault's importer and oneDNN engine.
//
// Every case whose operators are all in the importer's supported list is run:
// input_0 is the network input, further inputs become constants (the test data
// passes weights as inputs). A case is passed when every output value agrees
// within |got - want| <= 1e-4 * |want| + 1e-5, or both NaN (docs/onnx.md), imported-but-unsupported
// when the importer names a feature it does not handle (a clear error), and failed
// otherwise. Exit status 1 when any case fails or fewer than --min-passed pass.
//
// Usage: onnx_conformance DATA_DIR [--markdown FILE] [--min-passed N]
#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "common/input_error.h"
#include "nn/inference_engine.h"
#include "nn/onnx_import.h"

namespace fs = std::filesystem;
namespace wf = weightfault;

namespace {

struct Tally {
  int run = 0, passed = 0, unsupported = 0, failed = 0;
  std::set<std::string> reasons;
  std::set<std::string> failures;
};

std::vector<std::string> op_types(const onnx::ModelProto& model) {
  std::vector<std::string> ops;
  for (const auto& n : model.graph().node()) {
    if (std::find(ops.begin(), ops.end(), n.op_type()) == ops.end()) ops.push_back(n.op_type());
  }
  return ops;
}

bool supported(const std::string& op) {
  for (const auto& s : wf::nn::supported_onnx_ops()) {
    if (s == op || s == op + " (constant)") return true;
  }
  return false;
}

// The case's main operator: the first that is not a Constant.
std::string main_op(const std::vector<std::string>& ops) {
  for (const auto& op : ops) {
    if (op != "Constant") return op;
  }
  return ops.empty() ? "?" : ops.front();
}

enum class Outcome { passed, unsupported, failed };

// An error without the file path, the node name and the supported list: what is refused.
std::string short_reason(std::string why) {
  if (const auto at = why.find(".pb: "); at != std::string::npos) why = why.substr(at + 5);
  if (const auto at = why.find(".onnx: "); at != std::string::npos) why = why.substr(at + 7);
  if (const auto at = why.find("): "); at != std::string::npos && why.starts_with("node"))
    why = why.substr(at + 3);
  if (const auto at = why.find(" (supported:"); at != std::string::npos) why = why.substr(0, at);
  if (const auto at = why.find("tensor '"); at == 0) why = why.substr(why.find("': ") + 3);
  return why;
}

Outcome run_case(const fs::path& dir, const onnx::ModelProto& model, std::string& why) {
  const fs::path data = dir / "test_data_set_0";
  if (!fs::exists(data / "input_0.pb") || !fs::exists(data / "output_0.pb")) {
    why = "no test data";
    return Outcome::unsupported;
  }
  // weightfault networks have one output: with several (LayerNormalization's Mean and
  // InvStdDev, Split's parts) the graph's first output is imported and compared.
  if (fs::exists(data / "output_1.pb")) why = "the first of several outputs compared";
  std::set<std::string> initializers;
  for (const auto& init : model.graph().initializer()) initializers.insert(init.name());
  std::vector<std::string> inputs;
  for (const auto& in : model.graph().input()) {
    if (!initializers.count(in.name())) inputs.push_back(in.name());
  }
  wf::nn::OnnxImportOptions options;
  wf::nn::OnnxConstant x;
  try {
    x = wf::nn::read_onnx_tensor(data / "input_0.pb");
  } catch (const wf::InputError& e) {
    why = short_reason(e.what());
    return Outcome::unsupported;
  }
  for (std::size_t k = 1; k < inputs.size(); ++k) {
    const auto file = data / fmt::format("input_{}.pb", k);
    if (!fs::exists(file)) {
      why = "missing input data";
      return Outcome::unsupported;
    }
    try {
      options.constant_inputs[inputs[k]] = wf::nn::read_onnx_tensor(file);
    } catch (const wf::InputError& e) {
      why = short_reason(e.what());
      return Outcome::unsupported;
    }
  }
  if (x.dims.empty()) {
    why = "scalar input";
    return Outcome::unsupported;
  }
  options.input_shape = wf::nn::Shape(x.dims.begin() + 1, x.dims.end());
  wf::nn::Network net;
  try {
    net = wf::nn::import_onnx(dir / "model.onnx", options);
  } catch (const wf::InputError& e) {
    why = short_reason(e.what());
    return Outcome::unsupported;
  }
  const auto want = wf::nn::read_onnx_tensor(data / "output_0.pb");
  const auto batch = static_cast<std::size_t>(x.dims[0]);
  wf::nn::InferenceEngine engine(net, {.threads = 1, .batch = batch, .fuse_activations = true});
  std::vector<float> input(x.values.begin(), x.values.end());
  std::vector<float> logits;
  engine.infer_normalized(input, batch, logits);
  const auto got = engine.layer_output(net.output_layer());
  if (got.size() != want.values.size()) {
    why = fmt::format("{} output values, expected {}", got.size(), want.values.size());
    return Outcome::failed;
  }
  for (std::size_t k = 0; k < got.size(); ++k) {
    const double w = want.values[k];
    const bool both_nan = std::isnan(w) && std::isnan(got[k]);
    if (!both_nan && !(std::abs(got[k] - w) <= 1e-4 * std::abs(w) + 1e-5)) {
      why = fmt::format("value {}: got {}, want {}", k, got[k], w);
      return Outcome::failed;
    }
  }
  return Outcome::passed;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: onnx_conformance DATA_DIR [--markdown FILE] [--min-passed N]\n");
    return 2;
  }
  const fs::path root = argv[1];
  std::string markdown;
  int min_passed = 1;
  for (int a = 2; a + 1 < argc; a += 2) {
    const std::string key = argv[a];
    if (key == "--markdown") markdown = argv[a + 1];
    if (key == "--min-passed") min_passed = std::stoi(argv[a + 1]);
  }
  std::map<std::string, Tally> by_op;
  int passed = 0, failed = 0, cases = 0;
  for (const char* suite : {"node", "pytorch-converted", "pytorch-operator"}) {
    if (!fs::exists(root / suite)) {
      fmt::print(stderr, "onnx_conformance: {} not found (install libonnx-testdata)\n",
                 (root / suite).string());
      return 1;
    }
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(root / suite)) dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    for (const auto& dir : dirs) {
      onnx::ModelProto model;
      std::ifstream in(dir / "model.onnx", std::ios::binary);
      if (!in || !model.ParseFromIstream(&in)) continue;
      const auto ops = op_types(model);
      if (ops.empty() || !std::all_of(ops.begin(), ops.end(), supported)) continue;
      auto& t = by_op[main_op(ops)];
      ++t.run;
      ++cases;
      std::string why;
      Outcome outcome;
      try {
        outcome = run_case(dir, model, why);
      } catch (const std::exception& e) {
        outcome = Outcome::failed;
        why = e.what();
      }
      const std::string name = std::string(suite) + "/" + dir.filename().string();
      switch (outcome) {
        case Outcome::passed:
          ++t.passed;
          ++passed;
          if (!why.empty()) t.reasons.insert(why);
          break;
        case Outcome::unsupported:
          ++t.unsupported;
          t.reasons.insert(why);
          break;
        case Outcome::failed:
          ++t.failed;
          ++failed;
          t.failures.insert(name);
          fmt::print("FAILED {}: {}\n", name, why);
          break;
      }
    }
  }
  std::string table =
      "| operator | cases run | passed | refused with a clear error | failed | what is refused; "
      "notes |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& [op, t] : by_op) {
    std::string reasons;
    for (const auto& r : t.reasons) reasons += (reasons.empty() ? "" : "; ") + r;
    table += fmt::format("| {} | {} | {} | {} | {} | {} |\n", op, t.run, t.passed, t.unsupported,
                         t.failed, reasons);
  }
  fmt::print("{}", table);
  fmt::print("{} cases: {} passed, {} failed, {} refused\n", cases, passed, failed,
             cases - passed - failed);
  if (!markdown.empty()) std::ofstream(markdown) << table;
  if (passed < min_passed) {
    fmt::print("fewer than {} cases passed\n", min_passed);
    return 1;
  }
  return failed == 0 ? 0 : 1;
}

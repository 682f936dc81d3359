// Scenario TOML: any bytes as a scenario file (seeds: scenarios/*.toml).
#include "fuzz/fuzz_input.h"
#include "memory_models/fault_model.h"
#include "sim/scenario.h"

namespace wf = weightfault;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const wf::memory::FaultModelRegistry registry = [] {
    wf::memory::FaultModelRegistry r;
    wf::memory::register_builtin_fault_models(r);
    return r;
  }();
  const auto path = wf::fuzz::write_input(data, size, "scenario.toml");
  wf::fuzz::expect_clean_failure([&] { wf::sim::load_scenario(path, registry); });
  return 0;
}

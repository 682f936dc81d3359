// Scenario TOML: any bytes as a scenario file (seeds: scenarios/*.toml).
#include "fuzz/builtin_registry.h"
#include "fuzz/fuzz_input.h"
#include "sim/scenario.h"

namespace wf = weightfault;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& registry = wf::fuzz::builtin_registry();
  const auto path = wf::fuzz::write_input(data, size, "scenario.toml");
  wf::fuzz::expect_clean_failure([&] { wf::sim::load_scenario(path, registry); });
  return 0;
}

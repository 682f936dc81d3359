// Fault-list CSV: any bytes as the file of a `fault_list` fault model.
#include "fuzz/builtin_registry.h"
#include "fuzz/fuzz_input.h"

namespace wf = weightfault;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& registry = wf::fuzz::builtin_registry();
  const auto path = wf::fuzz::write_input(data, size, "faults.csv");
  wf::ParamValues values;
  values.set("file", path.string());
  wf::fuzz::expect_clean_failure([&] { registry.find("fault_list")->create(values); });
  return 0;
}

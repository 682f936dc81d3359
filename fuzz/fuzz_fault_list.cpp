// Fault-list CSV: any bytes as the file of a `fault_list` fault model.
#include "fuzz/fuzz_input.h"
#include "memory_models/fault_model.h"

namespace wf = weightfault;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const wf::memory::FaultModelRegistry registry = [] {
    wf::memory::FaultModelRegistry r;
    wf::memory::register_builtin_fault_models(r);
    return r;
  }();
  const auto path = wf::fuzz::write_input(data, size, "faults.csv");
  wf::ParamValues values;
  values.set("file", path.string());
  wf::fuzz::expect_clean_failure([&] { registry.find("fault_list")->create(values); });
  return 0;
}

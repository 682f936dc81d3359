// Model-definition TOML: any bytes as a definition (seeds: model_definitions/*.toml).
#include "fuzz/fuzz_input.h"
#include "nn/model_definition.h"

namespace wf = weightfault;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = wf::fuzz::write_input(data, size, "definition.toml");
  wf::fuzz::expect_clean_failure([&] { wf::nn::load_model_definition(path); });
  return 0;
}

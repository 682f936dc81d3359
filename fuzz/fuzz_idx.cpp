// IDX (plain or gzip): any bytes as an image file (rank 3) and a label file (rank 1).
#include "fuzz/fuzz_input.h"
#include "nn/idx_file.h"

namespace wf = weightfault;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = wf::fuzz::write_input(data, size, "data.idx");
  wf::fuzz::expect_clean_failure([&] { wf::nn::read_idx_u8(path, 3); });
  wf::fuzz::expect_clean_failure([&] { wf::nn::read_idx_u8(path, 1); });
  return 0;
}

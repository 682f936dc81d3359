// Results-file reader (`report`): a finished and a killed run's results files,
// edited by the input (fuzz/hdf5_edits.h), summarized in every format.
#include "fuzz/hdf5_edits.h"
#include "sim/report.h"

namespace wf = weightfault;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::filesystem::path> bases{
      wf::fuzz::source_file("fuzz/bases/results_finished.h5"),
      wf::fuzz::source_file("fuzz/bases/results_timeline.h5")};
  wf::fuzz::ByteSource input(data, size);
  const auto path = wf::fuzz::scratch_path("results.h5");
  wf::fuzz::write_edited_hdf5(bases, path, input);
  for (const char* format : {"table", "csv", "json"})
    wf::fuzz::expect_clean_failure([&] { wf::sim::report_results(path, format); });
  return 0;
}

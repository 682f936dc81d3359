// `weightfault faultmap`: a picture of one trial's faults at one time, drawn
// again from the scenario and seed (the same map `run` used): bank x row for
// the whole memory and row x column for the bank with the most faults, with
// the stored tensors' boundaries marked.
#pragma once

#include <filesystem>

#include "memory_models/fault_model.h"
#include "sim/scenario.h"

namespace weightfault::sim {

struct FaultmapRequest {
  std::size_t point = 0;
  std::size_t trial = 0;
  double at_s = 0.0;
};

// Writes the PNG and, when `data_json` is given, the same content as data for a plotting
// script (examples/plot_faultmap.py): the geometry, the tensors' first rows and every
// active fault as bank/row/column ranges with its kind. Returns a one-line summary.
std::string draw_faultmap(const Scenario& scenario, const FaultmapRequest& request,
                          const std::filesystem::path& png,
                          const std::filesystem::path* data_json = nullptr);

}  // namespace weightfault::sim

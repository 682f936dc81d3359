// True and anti cells (EINSim's cell-type layouts; Kraft et al., DATE 2018):
// a true cell stores logical 1 as charge, an anti cell stores logical 0 as
// charge. Charge leaks away, so a failing true cell reads 0 and a failing
// anti cell reads 1 -- errors only go from the charged to the discharged
// state. Layouts: every cell true, every cell anti, or alternating blocks of
// rows (vendor-specific; 512 rows is the estimate in docs/physics.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/parameter.h"
#include "memory_models/fault_record.h"

namespace weightfault::memory {

struct CellPolarity {
  std::string layout = "row_blocks";  // all_true, all_anti, row_blocks
  std::uint64_t block_rows = 512;

  static std::vector<std::string> layouts() { return {"all_true", "all_anti", "row_blocks"}; }
  bool is_anti(const PhysicalAddress& a) const {
    if (layout == "all_true") return false;
    if (layout == "all_anti") return true;
    return (a.get(Field::row) / block_rows) % 2 == 1;
  }
  // What a discharged cell reads.
  FaultKind discharged(const PhysicalAddress& a) const {
    return is_anti(a) ? FaultKind::stuck_at_1 : FaultKind::stuck_at_0;
  }

  // The layout parameters of a model whose cells lose charge (cell_layout,
  // polarity_block_rows), and the layout they give.
  static std::vector<ParamDecl> params() {
    return {choice_param("cell_layout", "true/anti cells (EINSim layouts; Kraft DATE 2018)",
                         layouts(), "row_blocks"),
            number_param("polarity_block_rows", "rows",
                         "rows per true or anti block in the row_blocks layout (512 [R/E])", 1.0,
                         1e9, 512.0, false)};
  }
  static CellPolarity from(const ParamValues& v) {
    return {v.text("cell_layout"), static_cast<std::uint64_t>(v.number("polarity_block_rows"))};
  }
};

}  // namespace weightfault::memory

#include <fmt/format.h>

#include <algorithm>

#include "common/input_error.h"
#include "memory_models/fault_model.h"

// Every built-in fault model: one line per model file, `X(name)` for a file that defines
// `FaultModelInfo name_info()` (docs/extending.md).
#define WEIGHTFAULT_FAULT_MODELS(X) \
  X(uniform_ber)                    \
  X(stuck_at)                       \
  X(fault_list)                     \
  X(seu)                            \
  X(field_faults)                   \
  X(dram_retention)                 \
  X(sram_cell)                      \
  X(write_error)                    \
  X(row_hammer)

namespace weightfault::memory {

#define WEIGHTFAULT_DECLARE_MODEL(name) FaultModelInfo name##_info();
WEIGHTFAULT_FAULT_MODELS(WEIGHTFAULT_DECLARE_MODEL)
#undef WEIGHTFAULT_DECLARE_MODEL

const Environment& FaultModelContext::env() const {
  static const Environment kDefault;  // immutable: 25 C, nominal supply, sea level
  return environment != nullptr ? *environment : kDefault;
}

double FaultModelContext::next_write_after(double t_s) const {
  const auto it = std::upper_bound(write_times_s.begin(), write_times_s.end(), t_s);
  return it == write_times_s.end() ? kNever : *it;
}

double FaultModelContext::last_write_at_or_before(double t_s) const {
  const auto it = std::upper_bound(write_times_s.begin(), write_times_s.end(), t_s);
  return it == write_times_s.begin() ? 0.0 : *(it - 1);
}

void FaultModelRegistry::add(FaultModelInfo info) {
  if (find(info.name) != nullptr)
    throw std::logic_error("fault model registered twice: " + info.name);
  models_.push_back(std::move(info));
}

const FaultModelInfo* FaultModelRegistry::find(const std::string& name) const {
  for (const auto& m : models_) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::vector<std::string> FaultModelRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& m : models_) out.push_back(m.name);
  return out;
}

void register_builtin_fault_models(FaultModelRegistry& registry) {
#define WEIGHTFAULT_REGISTER_MODEL(name) registry.add(name##_info());
  WEIGHTFAULT_FAULT_MODELS(WEIGHTFAULT_REGISTER_MODEL)
#undef WEIGHTFAULT_REGISTER_MODEL
}

}  // namespace weightfault::memory

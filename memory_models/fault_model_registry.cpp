#include <fmt/format.h>

#include "common/input_error.h"
#include "memory_models/fault_model.h"

namespace weightfault::memory {

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
  registry.add(uniform_ber_info());
  registry.add(stuck_at_info());
  registry.add(fault_list_info());
  registry.add(seu_info());
  registry.add(field_faults_info());
}

}  // namespace weightfault::memory

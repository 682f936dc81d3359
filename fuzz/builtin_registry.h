// The built-in fault models, built once per fuzz process (read-only afterwards).
#pragma once

#include "memory_models/fault_model.h"

namespace weightfault::fuzz {

inline const memory::FaultModelRegistry& builtin_registry() {
  static const memory::FaultModelRegistry registry = [] {
    memory::FaultModelRegistry r;
    memory::register_builtin_fault_models(r);
    return r;
  }();
  return registry;
}

}  // namespace weightfault::fuzz

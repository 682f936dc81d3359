// The fault-model interface: everything that makes faults, plain or physical,
// is a FaultModel registered by the name scenarios use. Each declares its
// parameters once (common/parameter.h); the registry builds a model from
// validated values.
//
// Contract of generate(): add to `sink` the faults arising in [t0_s, t1_s) in
// linear bits [0, extent_bits) of the memory, drawing randomness only from
// `rng`; cost O(faults generated), never O(bits).
#pragma once

#include <boost/random/mersenne_twister.hpp>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/parameter.h"
#include "memory_models/address_mapping.h"
#include "memory_models/environment.h"
#include "memory_models/fault_map.h"

namespace weightfault::memory {

using Rng = boost::random::mt19937_64;

struct FaultModelContext {
  const AddressMapping& mapping;
  std::uint64_t extent_bits = 0;  // faults beyond no stored image can matter
  double t0_s = 0.0;
  double t1_s = 0.0;
  std::uint16_t model_index = 0;             // recorded in every fault it makes
  const Environment* environment = nullptr;  // nullptr: the default environment
  // Times the whole memory is written, ascending: 0 (first load), then each rewrite.
  std::span<const double> write_times_s{};
  // Times the memory is read; models may skip episodes no checkpoint can observe.
  std::span<const double> checkpoints_s{};
  double refresh_interval_s = 0.064;  // DRAM refresh window tREFW

  const Environment& env() const;
  // First write strictly after t_s (kNever when none).
  double next_write_after(double t_s) const;
  // Last write at or before t_s (0 when none listed).
  double last_write_at_or_before(double t_s) const;
};

class FaultModel {
 public:
  virtual ~FaultModel() = default;
  virtual void generate(const FaultModelContext& ctx, Rng& rng, FaultMap& sink) const = 0;
  // Expected number of faults generate() adds for `ctx` (for reports and tests).
  virtual double expected_faults(const FaultModelContext& ctx) const = 0;
  // Expected number of its faults active at t_s (the report compares it with the
  // simulated mean). Default: every fault is active throughout.
  virtual double expected_active(const FaultModelContext& ctx, double t_s) const {
    (void)t_s;
    return expected_faults(ctx);
  }
};

struct FaultModelInfo {
  std::string name;
  std::string description;
  std::vector<ParamDecl> params;
  std::function<std::unique_ptr<FaultModel>(const ParamValues&)> create;
  bool needs_timeline = false;  // makes faults over simulated time (scenario needs [timeline])
};

class FaultModelRegistry {
 public:
  void add(FaultModelInfo info);
  const FaultModelInfo* find(const std::string& name) const;
  std::vector<std::string> names() const;
  const std::vector<FaultModelInfo>& all() const { return models_; }

 private:
  std::vector<FaultModelInfo> models_;
};

// Every built-in model, in one place (memory_models/fault_model_registry.cpp lists them).
void register_builtin_fault_models(FaultModelRegistry& registry);

}  // namespace weightfault::memory

// A fault map: the fault records of one trial. Reading the memory at time t
// applies the records active at t to a copy of the golden image; the cost is
// O(records + words they touch), never O(bits of memory).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "memory_models/fault_record.h"
#include "memory_models/placement.h"

namespace weightfault::memory {

struct ApplyResult {
  std::vector<std::uint64_t> touched_bits;  // linear bits written (may repeat)
  std::size_t records_touching = 0;         // active records that reach a placed bit
};

class FaultMap {
 public:
  void add(const FaultRecord& record) { records_.push_back(record); }
  void add(const BitFault& fault) { bits_.push_back(fault); }
  void add(const LogicalFault& fault) { logical_.push_back(fault); }
  void clear();
  // Every flip (not stuck-at) ends at the first multiple of `interval_s` after
  // its onset, when its word is rewritten with the stored value.
  void clear_flips_at_rewrites(double interval_s);
  // Ends bit fault `index` (of bit_faults()) at clear_s (a scrub wrote it back).
  void set_clear(std::size_t index, double clear_s) { bits_[index].clear_s = clear_s; }

  const std::vector<FaultRecord>& records() const { return records_; }
  const std::vector<BitFault>& bit_faults() const { return bits_; }
  const std::vector<LogicalFault>& logical_faults() const { return logical_; }
  std::size_t size() const { return records_.size() + bits_.size() + logical_.size(); }

  // Applies every record active at `t_s` to `image` (the bytes of linear bits
  // [0, 8 * image.size()), laid out by `placement`). Flips first, then
  // stuck-at cells, which read their stuck value whatever was written.
  // Throws InputError for a logical fault that names no segment or a bit
  // outside its word.
  ApplyResult apply(double t_s, const AddressMapping& mapping, const Placement& placement,
                    std::span<std::uint8_t> image) const;

 private:
  std::vector<FaultRecord> records_;
  std::vector<BitFault> bits_;
  std::vector<LogicalFault> logical_;
};

// Calls f(linear_bit) for every bit below `extent_bits` that `record` matches,
// enumerating only those (prefixes beyond the extent are pruned).
template <typename F>
void for_each_matching_bit(const FaultRecord& record, const AddressMapping& mapping,
                           std::uint64_t extent_bits, F&& f);

}  // namespace weightfault::memory

#include "memory_models/fault_map_impl.h"

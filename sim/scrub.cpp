#include "sim/scrub.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

namespace weightfault::sim {
namespace {

using storage::StoredImage;

// The golden value of the stored bit at memory bit `memory_bit` (a codeword's bit).
bool golden_bit(const StoredImage& image, std::uint64_t memory_bit) {
  const std::uint64_t at = image.placement().image_bit_at(memory_bit).value_or(0);
  return (image.golden_bytes()[at / 8] >> (at % 8)) & 1u;
}

// One fault on one bit of a codeword.
struct CodewordFault {
  std::uint64_t bit;
  memory::FaultKind kind;
  double onset_s, clear_s;
  std::size_t bit_fault;  // index into the map's bit faults, or SIZE_MAX for a record
};

// Single-bit records (no wildcard, e.g. field_faults' single-bit mode) become bit
// faults, so a scrub can clear them like any other lone flip.
memory::FaultMap with_single_bit_records_as_bits(const memory::FaultMap& map,
                                                 const memory::AddressMapping& mapping) {
  memory::FaultMap out;
  for (const auto& f : map.bit_faults()) out.add(f);
  for (const auto& r : map.records()) {
    if (r.wildcard == 0)
      out.add(
          memory::BitFault{mapping.to_linear(r.address), r.kind, r.model, r.onset_s, r.clear_s});
    else
      out.add(r);
  }
  for (const auto& f : map.logical_faults()) out.add(f);
  return out;
}

// Codewords (tensor, group) of a correcting code holding at least one single-bit flip.
std::set<std::pair<std::size_t, std::size_t>> codewords_with_flips(const memory::FaultMap& map,
                                                                   const StoredImage& image) {
  std::set<std::pair<std::size_t, std::size_t>> candidates;
  for (const auto& f : map.bit_faults()) {
    if (f.kind != memory::FaultKind::flip) continue;
    const auto image_bit = image.placement().image_bit_at(f.linear_bit);
    if (!image_bit) continue;
    const auto at = image.placement().locate(*image_bit);
    const auto range = image.groups_of(at->segment, at->word);
    if (range.tensor == SIZE_MAX || image.tensors()[range.tensor].code == nullptr ||
        !image.tensors()[range.tensor].code->corrects() || range.last != range.first + 1)
      continue;  // scale words and data no correcting code covers
    candidates.insert({range.tensor, range.first});
  }
  return candidates;
}

// Every fault on a bit of codeword (t, group): bit faults and matching records.
std::vector<CodewordFault> codeword_faults(const memory::FaultMap& map, const StoredImage& image,
                                           const memory::AddressMapping& mapping,
                                           const std::multimap<std::uint64_t, std::size_t>& by_bit,
                                           std::size_t t, std::size_t group) {
  const auto& bits = map.bit_faults();
  std::vector<CodewordFault> faults;
  for (const std::uint64_t bit : image.codeword_bits(t, group)) {
    const auto [lo, hi] = by_bit.equal_range(bit);
    for (auto it = lo; it != hi; ++it) {
      const auto& f = bits[it->second];
      faults.push_back({bit, f.kind, f.onset_s, f.clear_s, it->second});
    }
    if (!map.records().empty()) {
      const auto a = mapping.to_physical(bit);
      for (const auto& r : map.records()) {
        if (r.covers(a, mapping.geometry()))
          faults.push_back({bit, r.kind, r.onset_s, r.clear_s, SIZE_MAX});
      }
    }
  }
  return faults;
}

// The one bit that reads wrong during [from, ...) when exactly one does, and that bit is a
// plain flip a write-back clears (not a stuck cell, not a record); with the flips causing it.
std::optional<std::vector<std::size_t>> lone_correctable_flip(
    const std::vector<CodewordFault>& faults, const StoredImage& image, double from) {
  std::map<std::uint64_t, bool> wrong;        // bit -> reads wrong
  std::map<std::uint64_t, bool> stuck;        // bit -> a stuck cell decides it
  std::map<std::uint64_t, bool> from_record;  // a record is involved
  std::map<std::uint64_t, std::vector<std::size_t>> flip_faults;
  for (const auto& f : faults) {
    if (!(f.onset_s <= from && from < f.clear_s)) continue;
    if (f.bit_fault == SIZE_MAX) from_record[f.bit] = true;
    if (f.kind == memory::FaultKind::flip) {
      wrong[f.bit] = !wrong[f.bit];
      if (f.bit_fault != SIZE_MAX) flip_faults[f.bit].push_back(f.bit_fault);
    }
  }
  for (const auto& f : faults) {
    if (!(f.onset_s <= from && from < f.clear_s) || f.kind == memory::FaultKind::flip) continue;
    stuck[f.bit] = true;
    wrong[f.bit] = (f.kind == memory::FaultKind::stuck_at_1) != golden_bit(image, f.bit);
  }
  std::size_t errors = 0;
  std::uint64_t the_bit = 0;
  for (const auto& [bit, w] : wrong) {
    if (w) {
      ++errors;
      the_bit = bit;
    }
  }
  if (errors != 1 || stuck.count(the_bit) || from_record.count(the_bit)) return std::nullopt;
  return flip_faults[the_bit];
}

// Walks the codeword's events in time; a scrub that finds a lone correctable flip clears it.
void scrub_codeword(std::vector<CodewordFault>& faults, const StoredImage& image,
                    double interval_s) {
  // Event times at which the codeword's errors change; scrubs between them see a fixed state.
  std::vector<double> events;
  for (const auto& f : faults) {
    events.push_back(f.onset_s);
    if (std::isfinite(f.clear_s)) events.push_back(f.clear_s);
  }
  std::sort(events.begin(), events.end());
  events.erase(std::unique(events.begin(), events.end()), events.end());
  for (std::size_t e = 0; e < events.size(); ++e) {
    const double from = events[e];
    const double to = e + 1 < events.size() ? events[e + 1] : memory::kNever;
    const double scrub_s = std::ceil(from / interval_s) * interval_s;
    if (!(scrub_s < to)) continue;
    const auto flips = lone_correctable_flip(faults, image, from);
    if (!flips) continue;
    // Corrected and written back: its flips end at this scrub.
    for (const std::size_t i : *flips) {
      for (auto& f : faults) {
        if (f.bit_fault == i) f.clear_s = scrub_s;
      }
    }
    // A new event at the scrub: the state after it is examined next.
    events.insert(events.begin() + static_cast<std::ptrdiff_t>(e) + 1, scrub_s);
    events.erase(std::unique(events.begin(), events.end()), events.end());
  }
}

}  // namespace

memory::FaultMap scrubbed(const memory::FaultMap& map, const StoredImage& image,
                          const memory::AddressMapping& mapping, double interval_s) {
  if (!(interval_s > 0.0)) return map;
  memory::FaultMap out = with_single_bit_records_as_bits(map, mapping);
  // All bit faults by linear bit, to find the others in a codeword.
  std::multimap<std::uint64_t, std::size_t> by_bit;
  for (std::size_t i = 0; i < out.bit_faults().size(); ++i)
    by_bit.emplace(out.bit_faults()[i].linear_bit, i);
  for (const auto& [t, group] : codewords_with_flips(out, image)) {
    auto faults = codeword_faults(out, image, mapping, by_bit, t, group);
    scrub_codeword(faults, image, interval_s);
    for (const auto& f : faults) {
      if (f.bit_fault != SIZE_MAX) out.set_clear(f.bit_fault, f.clear_s);
    }
  }
  return out;
}

}  // namespace weightfault::sim

// ondie_ecc: the single-error-correcting code DDR5 and LPDDR4/5 devices run inside the chip,
// (136,128): 128 data bits of one device (its bits over the bus words of one burst) and 8
// check bits in hidden cells of the same device row (JESD79-5 [R]; research notes: DDR5
// on-die SEC (136,128) [R]). The device corrects on every read, before any bus-level code
// sees the data, and reports nothing. A single wrong cell is corrected; a double error gives
// a syndrome that either names no cell (both stay wrong) or names a third cell, which the
// device then flips -- a miscorrection into a triple error (Patel et al., "Understanding
// and modeling on-die error correction in modern DRAM", DSN 2019 [V-abs]).
//
// Parity-check matrix: check bit j has column 2^j; data bit i the i-th 8-bit value of
// weight >= 2 in increasing order (a Hamming-style SEC code; vendors' matrices are not
// published [E]). Modelled: the data cells that hold stored bits, and the hidden check
// cells of a device row hit by a fault record that covers every column of that row (row,
// bank and device faults). Not modelled [E]: single-cell faults on hidden check cells
// (8 of 136 cells), and cells of a device word that hold no stored bit (taken as right).
// A device word is 128 / device_width consecutive bus words of one device, so the
// mapping should walk columns fastest within a row (the default RoBaRaCoCh with one
// channel).
#include <algorithm>
#include <array>

#include "memory_models/fault_map.h"
#include "storage/protection.h"
#include "storage/stored_image.h"

namespace weightfault::storage {
namespace {

constexpr std::uint64_t kDataBits = 128;

struct OnDieCode {
  std::array<std::uint8_t, kDataBits> column{};  // H column of data bit i
  std::array<int, 256> cell_of{};                // syndrome -> data bit, 128 + check bit, -1
  constexpr OnDieCode() {
    for (auto& c : cell_of) c = -1;
    std::size_t i = 0;
    for (int v = 3; v < 256 && i < kDataBits; ++v) {
      if ((v & (v - 1)) == 0) continue;  // weight 1: a check bit's column
      column[i] = static_cast<std::uint8_t>(v);
      cell_of[static_cast<std::size_t>(v)] = static_cast<int>(i);
      ++i;
    }
    for (int j = 0; j < 8; ++j) cell_of[static_cast<std::size_t>(1 << j)] = 128 + j;
  }
};

constexpr OnDieCode kCode{};

bool bit_of(std::span<const std::uint8_t> bytes, std::uint64_t at) {
  return (bytes[at / 8] >> (at % 8)) & 1u;
}

void correct_device_words(const StoredImage& image, const memory::AddressMapping& mapping,
                          const memory::FaultMap& map, double t_s, std::span<std::uint8_t> bytes,
                          std::vector<std::uint64_t>& touched_bits) {
  const auto& g = mapping.geometry();
  const auto& placement = image.placement();
  const auto golden = std::span<const std::uint8_t>(image.golden_bytes());
  const std::uint64_t width = g.device_width, bus = g.bus_width();
  const std::uint64_t words_per_device_word = kDataBits / width;
  const std::uint64_t devices = g.devices_per_rank();
  // Device words (block of bus words, device) holding a written bit.
  std::vector<std::uint64_t> keys;
  keys.reserve(touched_bits.size());
  for (const auto bit : touched_bits) {
    const std::uint64_t m = placement.memory_bit(bit);
    keys.push_back(m / bus / words_per_device_word * devices + m % bus / width);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  // Records that cover whole device rows reach the hidden check cells of that row.
  std::vector<const memory::FaultRecord*> row_records;
  for (const auto& r : map.records()) {
    if (r.active_at(t_s) && r.is_wild(memory::Field::column)) row_records.push_back(&r);
  }
  const auto memory_bit_of = [&](std::uint64_t block, std::uint64_t device, std::uint64_t i) {
    return (block * words_per_device_word + i / width) * bus + device * width + i % width;
  };
  for (const auto key : keys) {
    const std::uint64_t block = key / devices, device = key % devices;
    std::uint8_t syndrome = 0, golden_check = 0;
    for (std::uint64_t i = 0; i < kDataBits; ++i) {
      const auto at = placement.image_bit_at(memory_bit_of(block, device, i));
      if (!at) continue;
      if (bit_of(golden, *at)) golden_check ^= kCode.column[i];
      if (bit_of(bytes, *at) != bit_of(golden, *at)) syndrome ^= kCode.column[i];
    }
    if (!row_records.empty()) {
      const auto first = mapping.to_physical(memory_bit_of(block, device, 0));
      std::uint8_t check = golden_check;
      for (const bool stuck_pass : {false, true}) {
        for (const auto* r : row_records) {
          if ((r->kind != memory::FaultKind::flip) != stuck_pass || !r->covers(first, g)) continue;
          if (r->kind == memory::FaultKind::flip)
            check = static_cast<std::uint8_t>(~check);
          else
            check = r->kind == memory::FaultKind::stuck_at_1 ? 0xFF : 0x00;
        }
      }
      syndrome ^= static_cast<std::uint8_t>(check ^ golden_check);
    }
    const int cell = kCode.cell_of[syndrome];
    if (syndrome == 0 || cell < 0 || cell >= static_cast<int>(kDataBits)) continue;
    const auto at =
        placement.image_bit_at(memory_bit_of(block, device, static_cast<std::uint64_t>(cell)));
    if (!at) continue;  // a cell that holds no stored bit
    bytes[*at / 8] ^= static_cast<std::uint8_t>(1u << (*at % 8));
    touched_bits.push_back(*at);
  }
}

}  // namespace

ProtectionStageInfo ondie_ecc_stage_info() {
  ProtectionStageInfo info;
  info.name = "ondie_ecc";
  info.description =
      "on-die ECC inside each DRAM device: SEC (136,128) over 128 bits of one device, 8 hidden "
      "check cells, corrected silently on read (miscorrects some double errors into triples)";
  info.bind = [](const TensorPlan&, const ParamValues&) { return std::unique_ptr<TensorStage>(); };
  info.memory_problem = [](const memory::Geometry& g,
                           const ParamValues&) -> std::optional<std::string> {
    if (kDataBits % g.device_width == 0) return std::nullopt;
    return "ondie_ecc needs a device width that divides 128";
  };
  info.device_read = [](const StoredImage& image, const memory::AddressMapping& mapping,
                        const memory::FaultMap& map, double t_s, const ParamValues&,
                        std::span<std::uint8_t> bytes, std::vector<std::uint64_t>& touched_bits) {
    correct_device_words(image, mapping, map, t_s, bytes, touched_bits);
  };
  return info;
}

}  // namespace weightfault::storage

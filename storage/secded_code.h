// Hamming SEC-DED (72,64): 64 data bits, 7 Hamming check bits and one overall
// parity bit (Hsiao 1970 gives the odd-weight variant; this is the classic
// extended Hamming code of Hamming 1950). Corrects every single-bit error in
// the 72-bit codeword and detects every double-bit error.
//
// Check byte layout: bits 0..6 = Hamming parity bits p1, p2, p4, ..., p64;
// bit 7 = overall parity of all 71 other bits. Data bit i sits at Hamming
// position kDataPosition[i] (the non-powers of two 3, 5, 6, 7, 9, ...).
#pragma once

#include <cstdint>

namespace weightfault::storage {

std::uint8_t secded_check(std::uint64_t data);

enum class SecdedStatus { ok, corrected, uncorrectable };

struct SecdedResult {
  std::uint64_t data = 0;  // corrected data (raw data when uncorrectable)
  SecdedStatus status = SecdedStatus::ok;
};

SecdedResult secded_decode(std::uint64_t data, std::uint8_t check);

}  // namespace weightfault::storage

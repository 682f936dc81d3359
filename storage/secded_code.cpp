#include "storage/secded_code.h"

#include <array>
#include <bit>

namespace weightfault::storage {
namespace {

constexpr std::array<std::uint8_t, 64> make_positions() {
  std::array<std::uint8_t, 64> pos{};
  int next = 0;
  for (int p = 1; next < 64; ++p) {
    if ((p & (p - 1)) != 0)
      pos[static_cast<std::size_t>(next++)] = static_cast<std::uint8_t>(p);  // skip powers of two
  }
  return pos;
}
constexpr std::array<std::uint8_t, 64> kDataPosition = make_positions();

constexpr std::array<int, 128> make_data_index() {
  std::array<int, 128> index{};
  for (auto& i : index) i = -1;
  for (int i = 0; i < 64; ++i) index[kDataPosition[static_cast<std::size_t>(i)]] = i;
  return index;
}
constexpr std::array<int, 128> kDataIndex = make_data_index();

// XOR of the Hamming positions of the set data bits.
std::uint8_t data_syndrome(std::uint64_t data) {
  std::uint8_t s = 0;
  while (data != 0) {
    const int bit = std::countr_zero(data);
    s ^= kDataPosition[static_cast<std::size_t>(bit)];
    data &= data - 1;
  }
  return s;
}

int parity(std::uint64_t v) {
  return std::popcount(v) & 1;
}

}  // namespace

std::uint8_t secded_check(std::uint64_t data) {
  const std::uint8_t hamming = data_syndrome(data);  // p_(2^i) = bit i of the XOR of positions
  const int overall = parity(data) ^ parity(hamming);
  return static_cast<std::uint8_t>(hamming | (overall << 7));
}

SecdedResult secded_decode(std::uint64_t data, std::uint8_t check) {
  const std::uint8_t hamming = check & 0x7f;
  const std::uint8_t syndrome = data_syndrome(data) ^ hamming;
  const int overall = parity(data) ^ parity(hamming) ^ (check >> 7);
  if (syndrome == 0 && overall == 0) return {data, SecdedStatus::ok};
  if (overall == 0) return {data, SecdedStatus::uncorrectable};  // even number of errors (double)
  if (syndrome == 0 || (syndrome & (syndrome - 1)) == 0) {
    return {data,
            SecdedStatus::corrected};  // the overall parity bit or a Hamming check bit flipped
  }
  const int index = kDataIndex[syndrome];
  if (index < 0) return {data, SecdedStatus::uncorrectable};  // points outside the codeword
  return {data ^ (std::uint64_t{1} << index), SecdedStatus::corrected};
}

}  // namespace weightfault::storage

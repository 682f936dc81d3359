#include "storage/reed_solomon.h"

#include <array>
#include <vector>

namespace weightfault::storage {
namespace {

struct GaloisField {
  std::array<std::uint8_t, 512> exp{};  // doubled: exp[a + b] without a modulo
  std::array<int, 256> log{};
  constexpr GaloisField() {
    int x = 1;
    for (int i = 0; i < 255; ++i) {
      exp[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(x);
      log[static_cast<std::size_t>(x)] = i;
      x <<= 1;
      if (x & 0x100) x ^= 0x11D;
    }
    for (int i = 255; i < 512; ++i)
      exp[static_cast<std::size_t>(i)] = exp[static_cast<std::size_t>(i - 255)];
  }
  constexpr std::uint8_t mul(std::uint8_t a, std::uint8_t b) const {
    if (a == 0 || b == 0) return 0;
    return exp[static_cast<std::size_t>(log[a] + log[b])];
  }
  constexpr std::uint8_t pow_alpha(int e) const { return exp[static_cast<std::size_t>(e % 255)]; }
};

constexpr GaloisField kGf{};

// Codeword symbol at position p: check symbols first, then data.
std::uint8_t symbol(std::span<const std::uint8_t> data, std::span<const std::uint8_t> check,
                    std::size_t p) {
  return p < check.size() ? check[p] : data[p - check.size()];
}

}  // namespace

void rs_encode(std::span<const std::uint8_t> data, std::span<std::uint8_t> check) {
  // Generator coefficients g[0..r] (g[r] = 1), then the remainder by LFSR division.
  const std::size_t r = check.size();
  std::vector<std::uint8_t> g(r + 1, 0);
  g[0] = 1;
  for (std::size_t j = 0; j < r; ++j) {
    // multiply by (x + alpha^j)
    const std::uint8_t root = kGf.pow_alpha(static_cast<int>(j));
    for (std::size_t i = j + 1; i > 0; --i)
      g[i] = static_cast<std::uint8_t>(g[i - 1] ^ kGf.mul(g[i], root));
    g[0] = kGf.mul(g[0], root);
  }
  std::vector<std::uint8_t> rem(r, 0);  // rem[i] = coefficient of x^i
  for (std::size_t i = data.size(); i > 0; --i) {
    const std::uint8_t feedback = static_cast<std::uint8_t>(data[i - 1] ^ rem[r - 1]);
    for (std::size_t k = r - 1; k > 0; --k)
      rem[k] = static_cast<std::uint8_t>(rem[k - 1] ^ kGf.mul(feedback, g[k]));
    rem[0] = kGf.mul(feedback, g[0]);
  }
  for (std::size_t k = 0; k < r; ++k) check[k] = rem[k];
}

SymbolDecode rs_decode(std::span<std::uint8_t> data, std::span<std::uint8_t> check) {
  const std::size_t r = check.size(), n = data.size() + r;
  std::vector<std::uint8_t> s(r, 0);
  bool clean = true;
  for (std::size_t j = 0; j < r; ++j) {
    std::uint8_t acc = 0;
    for (std::size_t p = 0; p < n; ++p)
      acc ^= kGf.mul(symbol(data, check, p), kGf.pow_alpha(static_cast<int>(j * p % 255)));
    s[j] = acc;
    clean = clean && acc == 0;
  }
  if (clean) return SymbolDecode::ok;
  if (s[0] == 0 || s[1] == 0) return SymbolDecode::uncorrectable;
  // One error: position p from alpha^p = S1 / S0, value e = S0; every S_j must agree.
  const int p = (kGf.log[s[1]] - kGf.log[s[0]] + 255) % 255;
  if (static_cast<std::size_t>(p) >= n) return SymbolDecode::uncorrectable;
  for (std::size_t j = 2; j < r; ++j) {
    if (s[j] != kGf.mul(s[0], kGf.pow_alpha(static_cast<int>(j) * p)))
      return SymbolDecode::uncorrectable;
  }
  const auto at = static_cast<std::size_t>(p);
  if (at < r)
    check[at] ^= s[0];
  else
    data[at - r] ^= s[0];
  return SymbolDecode::corrected;
}

}  // namespace weightfault::storage

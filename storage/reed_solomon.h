// Reed-Solomon code over GF(2^8) (primitive polynomial x^8 + x^4 + x^3 + x^2 + 1,
// alpha = 2), systematic, for symbol codes across memory devices (chipkill): `data`
// symbols and `check` symbols (2..4), length <= 255. Generator g(x) = prod_{j<check}
// (x - alpha^j); check symbols are the remainder of m(x) x^check mod g(x) and sit at
// positions 0..check-1, data symbol i at position check + i.
//
// Decoding corrects a single symbol error: syndromes S_j = c(alpha^j); one error of value
// e at position p gives S_j = e alpha^(p j) for every j. With 2 check symbols (distance 3)
// every syndrome pair names some position, so a two-symbol error is either detected (the
// position lies outside the codeword, or one syndrome is zero) or miscorrected into a third
// wrong symbol; with 3 or more (distance >= 4) every two-symbol error is detected
// (single-symbol-correct, double-symbol-detect).
#pragma once

#include <cstdint>
#include <span>

namespace weightfault::storage {

enum class SymbolDecode { ok, corrected, uncorrectable };

// Writes the check symbols of `data` into `check` (check.size() symbols).
void rs_encode(std::span<const std::uint8_t> data, std::span<std::uint8_t> check);

// Decodes in place: corrects a single wrong symbol (data or check), or reports the word
// uncorrectable and leaves it as read.
SymbolDecode rs_decode(std::span<std::uint8_t> data, std::span<std::uint8_t> check);

}  // namespace weightfault::storage

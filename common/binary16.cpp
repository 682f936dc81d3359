#include "common/binary16.h"

#include <bit>
#include <cmath>

namespace weightfault {

#if defined(__FLT16_MANT_DIG__)
// _Float16 converts as IEEE 754 binary16 (round to nearest even, subnormals, Inf
// and NaN), in software where the CPU lacks F16C.
std::uint16_t float_to_fp16(float value) {
  return std::bit_cast<std::uint16_t>(static_cast<_Float16>(value));
}

float fp16_to_float(std::uint16_t bits) {
  return static_cast<float>(std::bit_cast<_Float16>(bits));
}
#else
// Compilers without _Float16 on this target (clang 14, used for the fuzzers): the
// same IEEE 754 conversions by hand; tests/test_dtypes.cpp checks every pattern.
std::uint16_t float_to_fp16(float value) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t magnitude = x & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) {  // Inf, or NaN kept quiet with its top payload bits
    return magnitude == 0x7f800000u
               ? static_cast<std::uint16_t>(sign | 0x7c00u)
               : static_cast<std::uint16_t>(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
  }
  if (magnitude >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // >= 65520
  if (magnitude < 0x38800000u) {  // below 2^-14: a subnormal half; x * 2^24 is exact
    const float scaled = std::nearbyint(std::bit_cast<float>(magnitude) * 0x1p24f);
    return static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(scaled));
  }
  std::uint32_t half = (magnitude >> 13) - (112u << 10);  // rebias 127 -> 15
  const std::uint32_t rest = magnitude & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // nearest, ties to even
  return static_cast<std::uint16_t>(sign | half);
}

float fp16_to_float(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1fu, mantissa = bits & 0x3ffu;
  if (exponent == 0) {
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) {  // Inf; NaN made quiet, as the hardware conversion does
    const std::uint32_t quiet = mantissa ? 0x00400000u : 0u;
    return std::bit_cast<float>(sign | 0x7f800000u | quiet | (mantissa << 13));
  }
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}
#endif

}  // namespace weightfault

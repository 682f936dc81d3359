// Storage encodings (dtypes): bit-exact float <-> stored word.
//
//   fp32      IEEE binary32, 32-bit words
//   fp16      IEEE binary16, round to nearest even, overflow -> Inf
//   bf16      upper half of binary32, round to nearest even
//   q<m>.<n>  8-bit two's complement fixed point, 1 sign + m integer + n
//             fraction bits (m + n = 7), value = int8 / 2^n, saturating store
//   int8_sym  per-tensor symmetric: value = int8 * scale, scale = max|w| / 127
//
// Words are stored little-endian; bit 0 is the word's least significant bit
// (for fp32, bit 31 is the sign and bits 23..30 the exponent). Decoding any
// bit pattern gives exactly what hardware reads, Inf and NaN included.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace weightfault::nn {

enum class EncodingKind { fp32, fp16, bf16, fixed8, int8_sym };

struct Encoding {
  EncodingKind kind = EncodingKind::fp32;
  int int_bits = 0;   // fixed8: m
  int frac_bits = 0;  // fixed8: n

  int bits() const;  // bits per stored word
  std::size_t bytes() const { return static_cast<std::size_t>(bits() / 8); }
  std::string name() const;
  bool operator==(const Encoding&) const = default;
};

// "fp32", "fp16", "bf16", "q<m>.<n>" with m + n = 7, "int8_sym"; nullopt otherwise.
std::optional<Encoding> parse_encoding(std::string_view name);
// For error messages and `weightfault list`.
inline constexpr std::string_view kEncodingChoices =
    "fp32, fp16, bf16, q<m>.<n> (m + n = 7, e.g. q1.6), int8_sym";

std::uint16_t float_to_fp16(float value);
float fp16_to_float(std::uint16_t bits);
std::uint16_t float_to_bf16(float value);
float bf16_to_float(std::uint16_t bits);
std::uint8_t float_to_fixed8(float value, int frac_bits);
float fixed8_to_float(std::uint8_t bits, int frac_bits);

// Scale of int8_sym for a tensor: max|w| / 127 (1 for an all-zero tensor).
float int8_sym_scale(std::span<const float> values);

// Encodes `values` into `words` (values.size() * bytes() bytes). `scale` is
// used by int8_sym only.
void encode_words(const Encoding& enc, std::span<const float> values, float scale,
                  std::span<std::uint8_t> words);
// Decodes word `index` of `words`.
float decode_word(const Encoding& enc, std::span<const std::uint8_t> words, std::size_t index,
                  float scale);
void decode_words(const Encoding& enc, std::span<const std::uint8_t> words, float scale,
                  std::span<float> values);

}  // namespace weightfault::nn

// Storage dtypes: bit-exact float <-> stored word, one row of a traits table
// per format (as ggml's type table). Adding a dtype is one row in dtype.cpp
// plus its test (docs/extending.md).
//
//   fp32      IEEE binary32, 32-bit words
//   fp16      IEEE binary16, round to nearest even, overflow -> Inf
//   bf16      upper half of binary32, round to nearest even
//   q<m>.<n>  8-bit two's complement fixed point, 1 sign + m integer + n
//             fraction bits (m + n = 7), value = int8 / 2^n, saturating store
//   int8_sym  per-tensor symmetric: value = int8 * scale, scale = max|w| / 127
//
// A word is `bits` wide, any width from 1 to 64: words are packed back to
// back, little-endian by bit (word i occupies bits [i*bits, (i+1)*bits) of its
// segment; bit 0 is the word's least significant bit, so for fp32 bit 31 is
// the sign and bits 23..30 the exponent). Decoding any bit pattern gives
// exactly what hardware reads, Inf and NaN included.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/binary16.h"

namespace weightfault::storage {

// How a format's value relates to its code, which decides the `scale` stage's rule.
enum class NumberClass {
  floating,        // sign, exponent, mantissa: an exponent flip makes a value explode
  fixed_point,     // value = integer code / 2^param: bounded range, saturating store
  scaled_integer,  // value = integer code * per-tensor scale
};

// One row of the dtype table.
struct DTypeTraits {
  std::string_view name;  // "fp32"; a family's pattern, e.g. "q<m>.<n>"
  std::string_view
      choice_hint;  // how `list` and errors spell it: "q<m>.<n> (m + n = 7, e.g. q1.6)"
  std::string_view description;
  int bits = 0;  // bits per stored word, 1..64
  NumberClass number_class = NumberClass::floating;
  // Family rows read their parameter from the name ("q1.6" -> 6); plain rows match their name
  // and return 0. nullopt: not this row.
  std::optional<int> (*match)(std::string_view name) = nullptr;
  std::string (*label)(int param) = nullptr;  // the name of one member: "q1.6"
  // Largest finite magnitude a word decodes to (before any per-tensor scale).
  double (*max_value)(int param) = nullptr;
  // The word for `value` (low `bits` bits) and back; `scale` is the per-tensor scale.
  std::uint64_t (*encode)(float value, int param, float scale) = nullptr;
  float (*decode)(std::uint64_t word, int param, float scale) = nullptr;
  // scaled_integer formats: the per-tensor scale for `values`.
  float (*tensor_scale)(std::span<const float> values) = nullptr;
};

// Every dtype, in the order `list` shows them.
const std::vector<DTypeTraits>& dtype_table();

// One dtype: a row and, for a family, its parameter (q<m>.<n>: n).
struct DType {
  const DTypeTraits* traits = nullptr;
  int param = 0;

  int bits() const { return traits->bits; }
  NumberClass number_class() const { return traits->number_class; }
  bool has_tensor_scale() const { return traits->tensor_scale != nullptr; }
  double max_value() const { return traits->max_value(param); }
  std::string name() const { return traits->label(param); }
  bool operator==(const DType& other) const {
    return traits == other.traits && param == other.param;
  }
};

// The dtype named `name` ("fp32", "q1.6", ...); nullopt when no row matches.
std::optional<DType> parse_dtype(std::string_view name);
// As parse_dtype, throwing std::invalid_argument for an unknown name (tests, benchmarks).
DType dtype_named(std::string_view name);
// "fp32, fp16, bf16, q<m>.<n> (m + n = 7, e.g. q1.6), int8_sym": for errors and `list`.
std::string dtype_choices();

// The per-tensor scale of `dtype` for `values` (1 for formats without one).
float tensor_scale(const DType& dtype, std::span<const float> values);

// Words of `bits` bits packed back to back, little-endian by bit.
std::uint64_t load_word(std::span<const std::uint8_t> bytes, std::size_t index, int bits);
void store_word(std::span<std::uint8_t> bytes, std::size_t index, int bits, std::uint64_t word);
// Bytes that hold `count` words of `bits` bits.
std::size_t packed_bytes(std::size_t count, int bits);

// Encodes `values` into `bytes` (packed_bytes(values.size(), bits()) bytes).
void encode_words(const DType& dtype, std::span<const float> values, float scale,
                  std::span<std::uint8_t> bytes);
// Decodes word `index` of `bytes`.
float decode_word(const DType& dtype, std::span<const std::uint8_t> bytes, std::size_t index,
                  float scale);
void decode_words(const DType& dtype, std::span<const std::uint8_t> bytes, float scale,
                  std::span<float> values);

// The conversions the rows use, for tests.
using weightfault::float_to_fp16;  // common/binary16.h
using weightfault::fp16_to_float;
std::uint16_t float_to_bf16(float value);
float bf16_to_float(std::uint16_t bits);
std::uint8_t float_to_fixed8(float value, int frac_bits);
float fixed8_to_float(std::uint8_t bits, int frac_bits);
float int8_sym_scale(std::span<const float> values);

}  // namespace weightfault::storage

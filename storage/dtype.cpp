#include "storage/dtype.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace weightfault::storage {
namespace {

std::optional<int> exact(std::string_view name, std::string_view want) {
  return name == want ? std::optional<int>(0) : std::nullopt;
}

// "q<m>.<n>" with m + n = 7 -> n.
std::optional<int> match_fixed8(std::string_view name) {
  if (name.size() < 4 || name[0] != 'q') return std::nullopt;
  const auto dot = name.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  int m = -1, n = -1;
  const auto* begin = name.data();
  const auto r1 = std::from_chars(begin + 1, begin + dot, m);
  const auto r2 = std::from_chars(begin + dot + 1, begin + name.size(), n);
  if (r1.ec != std::errc() || r1.ptr != begin + dot || r2.ec != std::errc() ||
      r2.ptr != begin + name.size())
    return std::nullopt;
  if (m < 0 || n < 0 || m + n != 7) return std::nullopt;
  return n;
}

std::uint64_t encode_int8(float value, float scale) {
  const float q = std::clamp(std::nearbyint(value / scale), -127.0f, 127.0f);
  return static_cast<std::uint8_t>(static_cast<std::int8_t>(q));
}

}  // namespace

const std::vector<DTypeTraits>& dtype_table() {
  static const std::vector<DTypeTraits> table{
      {.name = "fp32",
       .choice_hint = "fp32",
       .description = "IEEE 754 binary32",
       .bits = 32,
       .number_class = NumberClass::floating,
       .match = [](std::string_view n) { return exact(n, "fp32"); },
       .label = [](int) { return std::string("fp32"); },
       .max_value = [](int) { return 3.4028234663852886e38; },
       .encode = [](float v, int, float) -> std::uint64_t {
         return std::bit_cast<std::uint32_t>(v);
       },
       .decode = [](std::uint64_t w, int,
                    float) { return std::bit_cast<float>(static_cast<std::uint32_t>(w)); },
       .tensor_scale = nullptr},
      {.name = "fp16",
       .choice_hint = "fp16",
       .description = "IEEE 754 binary16, round to nearest even, overflow to Inf",
       .bits = 16,
       .number_class = NumberClass::floating,
       .match = [](std::string_view n) { return exact(n, "fp16"); },
       .label = [](int) { return std::string("fp16"); },
       .max_value = [](int) { return 65504.0; },
       .encode = [](float v, int, float) -> std::uint64_t { return float_to_fp16(v); },
       .decode = [](std::uint64_t w, int,
                    float) { return fp16_to_float(static_cast<std::uint16_t>(w)); },
       .tensor_scale = nullptr},
      {.name = "bf16",
       .choice_hint = "bf16",
       .description = "bfloat16: the upper half of a binary32, round to nearest even",
       .bits = 16,
       .number_class = NumberClass::floating,
       .match = [](std::string_view n) { return exact(n, "bf16"); },
       .label = [](int) { return std::string("bf16"); },
       .max_value = [](int) { return 3.3895313892515355e38; },
       .encode = [](float v, int, float) -> std::uint64_t { return float_to_bf16(v); },
       .decode = [](std::uint64_t w, int,
                    float) { return bf16_to_float(static_cast<std::uint16_t>(w)); },
       .tensor_scale = nullptr},
      {.name = "q<m>.<n>",
       .choice_hint = "q<m>.<n> (m + n = 7, e.g. q1.6)",
       .description = "8-bit two's complement fixed point: 1 sign, m integer and n fraction bits, "
                      "value = int8 / 2^n, saturating store",
       .bits = 8,
       .number_class = NumberClass::fixed_point,
       .match = match_fixed8,
       .label = [](int n) { return fmt::format("q{}.{}", 7 - n, n); },
       .max_value = [](int n) { return 127.0 / std::ldexp(1.0, n); },
       .encode = [](float v, int n, float) -> std::uint64_t { return float_to_fixed8(v, n); },
       .decode = [](std::uint64_t w, int n,
                    float) { return fixed8_to_float(static_cast<std::uint8_t>(w), n); },
       .tensor_scale = nullptr},
      {.name = "int8_sym",
       .choice_hint = "int8_sym",
       .description = "per-tensor symmetric int8: value = int8 * scale, scale = max|w| / 127",
       .bits = 8,
       .number_class = NumberClass::scaled_integer,
       .match = [](std::string_view n) { return exact(n, "int8_sym"); },
       .label = [](int) { return std::string("int8_sym"); },
       .max_value = [](int) { return 127.0; },
       .encode = [](float v, int, float scale) { return encode_int8(v, scale); },
       .decode =
           [](std::uint64_t w, int, float scale) {
             return static_cast<float>(static_cast<std::int8_t>(static_cast<std::uint8_t>(w))) *
                    scale;
           },
       .tensor_scale = int8_sym_scale},
  };
  return table;
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& row : dtype_table()) {
    if (const auto param = row.match(name)) return DType{&row, *param};
  }
  return std::nullopt;
}

DType dtype_named(std::string_view name) {
  if (const auto d = parse_dtype(name)) return *d;
  throw std::invalid_argument(fmt::format("unknown dtype '{}' (known: {})", name, dtype_choices()));
}

std::string dtype_choices() {
  std::string out;
  for (const auto& row : dtype_table()) {
    if (!out.empty()) out += ", ";
    out += row.choice_hint;
  }
  return out;
}

float tensor_scale(const DType& dtype, std::span<const float> values) {
  return dtype.has_tensor_scale() ? dtype.traits->tensor_scale(values) : 1.0f;
}

std::size_t packed_bytes(std::size_t count, int bits) {
  return (count * static_cast<std::size_t>(bits) + 7) / 8;
}

std::uint64_t load_word(std::span<const std::uint8_t> bytes, std::size_t index, int bits) {
  std::uint64_t w = 0;
  if (bits % 8 == 0) {
    const std::size_t n = static_cast<std::size_t>(bits / 8);
    for (std::size_t b = 0; b < n; ++b)
      w |= static_cast<std::uint64_t>(bytes[index * n + b]) << (8 * b);
    return w;
  }
  const std::size_t first = index * static_cast<std::size_t>(bits);
  for (int b = 0; b < bits; ++b) {
    const std::size_t at = first + static_cast<std::size_t>(b);
    w |= static_cast<std::uint64_t>((bytes[at / 8] >> (at % 8)) & 1u) << b;
  }
  return w;
}

void store_word(std::span<std::uint8_t> bytes, std::size_t index, int bits, std::uint64_t word) {
  if (bits % 8 == 0) {
    const std::size_t n = static_cast<std::size_t>(bits / 8);
    for (std::size_t b = 0; b < n; ++b)
      bytes[index * n + b] = static_cast<std::uint8_t>(word >> (8 * b));
    return;
  }
  const std::size_t first = index * static_cast<std::size_t>(bits);
  for (int b = 0; b < bits; ++b) {
    const std::size_t at = first + static_cast<std::size_t>(b);
    const auto mask = static_cast<std::uint8_t>(1u << (at % 8));
    bytes[at / 8] = static_cast<std::uint8_t>(((word >> b) & 1u) ? (bytes[at / 8] | mask)
                                                                 : (bytes[at / 8] & ~mask));
  }
}

std::uint16_t float_to_bf16(float value) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(value);
  if (std::isnan(value))
    return static_cast<std::uint16_t>((x >> 16) | 0x0040);  // stay a (quiet) NaN
  const std::uint32_t rounding = 0x7fff + ((x >> 16) & 1);  // round to nearest, ties to even
  return static_cast<std::uint16_t>((x + rounding) >> 16);
}

float bf16_to_float(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

std::uint8_t float_to_fixed8(float value, int frac_bits) {
  if (std::isnan(value)) return 0;
  const double scaled = std::nearbyint(static_cast<double>(value) * std::ldexp(1.0, frac_bits));
  const double clamped = std::clamp(scaled, -128.0, 127.0);  // saturate
  return static_cast<std::uint8_t>(static_cast<std::int8_t>(clamped));
}

float fixed8_to_float(std::uint8_t bits, int frac_bits) {
  return static_cast<float>(
      std::ldexp(static_cast<double>(static_cast<std::int8_t>(bits)), -frac_bits));
}

float int8_sym_scale(std::span<const float> values) {
  float max_abs = 0.0f;
  for (float v : values) max_abs = std::max(max_abs, std::abs(v));
  return max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
}

void encode_words(const DType& dtype, std::span<const float> values, float scale,
                  std::span<std::uint8_t> bytes) {
  for (std::size_t i = 0; i < values.size(); ++i)
    store_word(bytes, i, dtype.bits(), dtype.traits->encode(values[i], dtype.param, scale));
}

float decode_word(const DType& dtype, std::span<const std::uint8_t> bytes, std::size_t index,
                  float scale) {
  return dtype.traits->decode(load_word(bytes, index, dtype.bits()), dtype.param, scale);
}

void decode_words(const DType& dtype, std::span<const std::uint8_t> bytes, float scale,
                  std::span<float> values) {
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = decode_word(dtype, bytes, i, scale);
}

}  // namespace weightfault::storage

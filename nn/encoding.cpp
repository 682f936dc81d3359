#include "nn/encoding.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

namespace weightfault::nn {
namespace {

template <typename Word>
Word load(std::span<const std::uint8_t> words, std::size_t index) {
  Word w = 0;
  for (std::size_t b = 0; b < sizeof(Word); ++b) {
    w = static_cast<Word>(w | (static_cast<Word>(words[index * sizeof(Word) + b]) << (8 * b)));
  }
  return w;
}

template <typename Word>
void store(std::span<std::uint8_t> words, std::size_t index, Word w) {
  for (std::size_t b = 0; b < sizeof(Word); ++b) {
    words[index * sizeof(Word) + b] = static_cast<std::uint8_t>(w >> (8 * b));
  }
}

}  // namespace

int Encoding::bits() const {
  switch (kind) {
    case EncodingKind::fp32:
      return 32;
    case EncodingKind::fp16:
    case EncodingKind::bf16:
      return 16;
    default:
      return 8;
  }
}

std::string Encoding::name() const {
  switch (kind) {
    case EncodingKind::fp32:
      return "fp32";
    case EncodingKind::fp16:
      return "fp16";
    case EncodingKind::bf16:
      return "bf16";
    case EncodingKind::fixed8:
      return fmt::format("q{}.{}", int_bits, frac_bits);
    case EncodingKind::int8_sym:
      return "int8_sym";
  }
  return "?";
}

std::optional<Encoding> parse_encoding(std::string_view name) {
  if (name == "fp32") return Encoding{EncodingKind::fp32};
  if (name == "fp16") return Encoding{EncodingKind::fp16};
  if (name == "bf16") return Encoding{EncodingKind::bf16};
  if (name == "int8_sym") return Encoding{EncodingKind::int8_sym};
  if (name.size() >= 4 && name[0] == 'q') {
    const auto dot = name.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    int m = -1, n = -1;
    const auto* begin = name.data();
    auto r1 = std::from_chars(begin + 1, begin + dot, m);
    auto r2 = std::from_chars(begin + dot + 1, begin + name.size(), n);
    if (r1.ec != std::errc() || r1.ptr != begin + dot || r2.ec != std::errc() ||
        r2.ptr != begin + name.size()) {
      return std::nullopt;
    }
    if (m < 0 || n < 0 || m + n != 7) return std::nullopt;
    return Encoding{EncodingKind::fixed8, m, n};
  }
  return std::nullopt;
}

// GCC's _Float16 converts as IEEE 754 binary16 (round to nearest even,
// subnormals, Inf and NaN), in software where the CPU lacks F16C.
std::uint16_t float_to_fp16(float value) {
  return std::bit_cast<std::uint16_t>(static_cast<_Float16>(value));
}

float fp16_to_float(std::uint16_t bits) {
  return static_cast<float>(std::bit_cast<_Float16>(bits));
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

void encode_words(const Encoding& enc, std::span<const float> values, float scale,
                  std::span<std::uint8_t> words) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    const float v = values[i];
    switch (enc.kind) {
      case EncodingKind::fp32:
        store<std::uint32_t>(words, i, std::bit_cast<std::uint32_t>(v));
        break;
      case EncodingKind::fp16:
        store<std::uint16_t>(words, i, float_to_fp16(v));
        break;
      case EncodingKind::bf16:
        store<std::uint16_t>(words, i, float_to_bf16(v));
        break;
      case EncodingKind::fixed8:
        words[i] = float_to_fixed8(v, enc.frac_bits);
        break;
      case EncodingKind::int8_sym: {
        const float q = std::clamp(std::nearbyint(v / scale), -127.0f, 127.0f);
        words[i] = static_cast<std::uint8_t>(static_cast<std::int8_t>(q));
        break;
      }
    }
  }
}

float decode_word(const Encoding& enc, std::span<const std::uint8_t> words, std::size_t index,
                  float scale) {
  switch (enc.kind) {
    case EncodingKind::fp32:
      return std::bit_cast<float>(load<std::uint32_t>(words, index));
    case EncodingKind::fp16:
      return fp16_to_float(load<std::uint16_t>(words, index));
    case EncodingKind::bf16:
      return bf16_to_float(load<std::uint16_t>(words, index));
    case EncodingKind::fixed8:
      return fixed8_to_float(words[index], enc.frac_bits);
    case EncodingKind::int8_sym:
      return static_cast<float>(static_cast<std::int8_t>(words[index])) * scale;
  }
  return 0.0f;
}

void decode_words(const Encoding& enc, std::span<const std::uint8_t> words, float scale,
                  std::span<float> values) {
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = decode_word(enc, words, i, scale);
}

}  // namespace weightfault::nn

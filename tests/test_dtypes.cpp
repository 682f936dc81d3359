// Questions: does every stored bit pattern decode to exactly the value IEEE
// (or the fixed-point definition) gives, Inf and NaN included? Do stores
// round to nearest even and saturate where the format says so?
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "storage/dtype.h"

namespace wf = weightfault;

namespace {

// binary16 from its definition (IEEE 754-2008, 3.4).
double fp16_by_definition(std::uint16_t bits) {
  const int sign = bits >> 15, exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
  const double s = sign ? -1.0 : 1.0;
  if (exponent == 0) return s * std::ldexp(mantissa, -24);
  if (exponent == 31) return mantissa ? std::numeric_limits<double>::quiet_NaN() : s * INFINITY;
  return s * std::ldexp(1024 + mantissa, exponent - 25);
}

}  // namespace

TEST_CASE("every fp16 pattern decodes as IEEE binary16 defines and encodes back") {
  for (std::uint32_t b = 0; b <= 0xffff; ++b) {
    const auto bits = static_cast<std::uint16_t>(b);
    const float got = wf::storage::fp16_to_float(bits);
    const double want = fp16_by_definition(bits);
    if (std::isnan(want)) {
      CHECK(std::isnan(got));
      continue;
    }
    REQUIRE(static_cast<double>(got) == want);
    REQUIRE(std::signbit(got) == std::signbit(want));
    REQUIRE(wf::storage::float_to_fp16(got) ==
            bits);  // every finite/inf value is exactly representable
  }
}

TEST_CASE("fp16 stores round to nearest even and overflow to Inf") {
  CHECK(wf::storage::float_to_fp16(1.0f + 0x1p-11f) == 0x3c00);      // tie -> even (1.0)
  CHECK(wf::storage::float_to_fp16(1.0f + 3 * 0x1p-11f) == 0x3c02);  // tie -> even (up)
  CHECK(wf::storage::float_to_fp16(65504.0f) == 0x7bff);             // largest finite
  CHECK(wf::storage::float_to_fp16(65520.0f) == 0x7c00);             // rounds to Inf
  CHECK(wf::storage::float_to_fp16(0x1p-25f) == 0x0000);  // tie below the smallest subnormal
  CHECK(wf::storage::float_to_fp16(0x1.8p-25f) == 0x0001);
}

TEST_CASE("every bf16 pattern decodes to the upper half of a binary32") {
  for (std::uint32_t b = 0; b <= 0xffff; ++b) {
    const auto bits = static_cast<std::uint16_t>(b);
    const float got = wf::storage::bf16_to_float(bits);
    REQUIRE(std::bit_cast<std::uint32_t>(got) == b << 16);
    if (!std::isnan(got)) REQUIRE(wf::storage::float_to_bf16(got) == bits);
    if (std::isnan(got))
      REQUIRE(std::isnan(wf::storage::bf16_to_float(wf::storage::float_to_bf16(got))));
  }
  CHECK(wf::storage::float_to_bf16(std::bit_cast<float>(0x3f808000u)) == 0x3f80);  // tie -> even
  CHECK(wf::storage::float_to_bf16(std::bit_cast<float>(0x3f818000u)) ==
        0x3f82);  // tie -> even (up)
  CHECK(wf::storage::float_to_bf16(std::bit_cast<float>(0x3f808001u)) == 0x3f81);
}

TEST_CASE("a flipped fp32 exponent bit reads what hardware reads, Inf and NaN included") {
  const auto fp32 = wf::storage::dtype_named("fp32");
  const auto flipped = [&](float v, int bit) {
    std::vector<std::uint8_t> words(4);
    wf::storage::encode_words(fp32, std::vector<float>{v}, 1.0f, words);
    words[static_cast<std::size_t>(bit / 8)] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    return wf::storage::decode_word(fp32, words, 0, 1.0f);
  };
  CHECK(flipped(1.0f, 30) == INFINITY);                     // 0x3f800000 -> 0x7f800000
  CHECK(flipped(0.5f, 30) == 0x1p127f);                     // 0x3f000000 -> 0x7f000000
  CHECK(std::isnan(flipped(1.5f, 30)));                     // 0x3fc00000 -> 0x7fc00000
  CHECK(flipped(0.75f, 31) == -0.75f);                      // sign
  CHECK(flipped(0.75f, 23) == 1.5f);                        // exponent LSB
  CHECK(flipped(-0.046875f, 29) == -0.046875f * 0x1p-64f);  // an exponent bit that was set
}

TEST_CASE("q<m>.<n> decodes every pattern as int8 / 2^n, round-trips, and saturates") {
  for (int n = 0; n <= 7; ++n) {
    for (int b = 0; b < 256; ++b) {
      const auto bits = static_cast<std::uint8_t>(b);
      const float v = wf::storage::fixed8_to_float(bits, n);
      REQUIRE(v == std::ldexp(static_cast<float>(static_cast<std::int8_t>(bits)), -n));
      REQUIRE(wf::storage::float_to_fixed8(v, n) == bits);
    }
    const float max = 127.0f / static_cast<float>(1 << n);
    CHECK(wf::storage::float_to_fixed8(max * 10, n) == 0x7f);
    CHECK(wf::storage::float_to_fixed8(-max * 10, n) == 0x80);
    CHECK(wf::storage::float_to_fixed8(INFINITY, n) == 0x7f);
  }
  CHECK(wf::storage::float_to_fixed8(0.0078125f, 6) == 0);  // 0.5 LSB: tie -> even (0)
  CHECK(wf::storage::float_to_fixed8(0.0234375f, 6) == 2);  // 1.5 LSB: tie -> even (2)
  CHECK(wf::storage::float_to_fixed8(-0.3f, 6) == static_cast<std::uint8_t>(-19));
}

TEST_CASE("int8_sym uses max|w|/127 and rounds within half a step") {
  const std::vector<float> w{0.5f, -1.27f, 0.01f, 1.0f};
  const float scale = wf::storage::int8_sym_scale(w);
  CHECK(scale == doctest::Approx(0.01f));
  const auto enc = wf::storage::dtype_named("int8_sym");
  std::vector<std::uint8_t> words(w.size());
  wf::storage::encode_words(enc, w, scale, words);
  CHECK(static_cast<std::int8_t>(words[1]) == -127);
  for (std::size_t i = 0; i < w.size(); ++i) {
    CHECK(std::abs(wf::storage::decode_word(enc, words, i, scale) - w[i]) <= scale / 2 + 1e-7f);
  }
  words[0] = 0x80;  // a fault may produce -128, one step beyond the stored range
  CHECK(wf::storage::decode_word(enc, words, 0, scale) == doctest::Approx(-128 * scale));
}

TEST_CASE("encoding names parse, and invalid ones are rejected") {
  CHECK(wf::storage::parse_dtype("q1.6")->param == 6);
  CHECK(wf::storage::parse_dtype("q7.0")->name() == "q7.0");
  CHECK(wf::storage::parse_dtype("bf16")->bits() == 16);
  CHECK(wf::storage::parse_dtype("int8_sym")->bits() == 8);
  for (const char* bad : {"q1.7", "q.6", "q1.", "q1.6x", "fp64", "Q1.6", ""}) {
    INFO(bad);
    CHECK_FALSE(wf::storage::parse_dtype(bad).has_value());
  }
}

TEST_CASE("words of widths that do not divide 8 or 64 pack back to back, little-endian by bit") {
  // 12-bit words: word i occupies bits [12 i, 12 i + 12); neighbours are untouched.
  std::vector<std::uint8_t> bytes(wf::storage::packed_bytes(5, 12), 0);
  CHECK(bytes.size() == 8);  // 60 bits
  const std::vector<std::uint64_t> words{0xabc, 0x123, 0xfff, 0x001, 0x800};
  for (std::size_t i = 0; i < words.size(); ++i) wf::storage::store_word(bytes, i, 12, words[i]);
  for (std::size_t i = 0; i < words.size(); ++i)
    CHECK(wf::storage::load_word(bytes, i, 12) == words[i]);
  CHECK(bytes[0] == 0xbc);  // low 8 bits of word 0
  CHECK(bytes[1] == 0x3a);  // high 4 bits of word 0, then low 4 bits of word 1
  CHECK(bytes[7] == 0x08);  // word 4 ends at bit 60: its top bit is bit 59
  wf::storage::store_word(bytes, 2, 12, 0);
  CHECK(wf::storage::load_word(bytes, 1, 12) == 0x123);
  CHECK(wf::storage::load_word(bytes, 3, 12) == 0x001);
  // 4-bit words: two per byte, the first in the low nibble.
  std::vector<std::uint8_t> nibbles(2, 0);
  wf::storage::store_word(nibbles, 1, 4, 0xa);
  wf::storage::store_word(nibbles, 2, 4, 0x5);
  CHECK(nibbles[0] == 0xa0);
  CHECK(nibbles[1] == 0x05);
}

TEST_CASE("every dtype row round-trips its own largest value and names its members") {
  for (const auto& row : wf::storage::dtype_table()) {
    INFO(row.name);
    CHECK(row.bits >= 1);
    CHECK(row.bits <= 64);
    const auto dtype = row.name == "q<m>.<n>" ? wf::storage::dtype_named("q1.6")
                                              : wf::storage::dtype_named(row.name);
    CHECK(wf::storage::parse_dtype(dtype.name()) == dtype);
    const auto max = static_cast<float>(dtype.max_value());
    std::vector<std::uint8_t> bytes(wf::storage::packed_bytes(1, dtype.bits()), 0);
    const std::vector<float> values{max};
    const float scale = wf::storage::tensor_scale(dtype, values);
    wf::storage::encode_words(dtype, values, scale, bytes);
    CHECK(wf::storage::decode_word(dtype, bytes, 0, scale) == doctest::Approx(max));
  }
}

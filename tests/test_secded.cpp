// Question: does SEC-DED (72,64) correct every single-bit error at every
// position of a codeword and flag every double-bit error?
#include <doctest/doctest.h>

#include "common/split_mix.h"
#include "storage/secded_code.h"

namespace wf = weightfault;
using wf::storage::SecdedStatus;

namespace {

// Flips codeword bit `pos` (0..63 data, 64..71 check byte).
void flip(std::uint64_t& data, std::uint8_t& check, int pos) {
  if (pos < 64)
    data ^= std::uint64_t{1} << pos;
  else
    check = static_cast<std::uint8_t>(check ^ (1u << (pos - 64)));
}

}  // namespace

TEST_CASE("SEC-DED corrects every single-bit error and flags every double") {
  wf::SplitMix64 rng(5);
  for (int sample = 0; sample < 20; ++sample) {
    const std::uint64_t data = sample == 0 ? 0 : sample == 1 ? ~std::uint64_t{0} : rng.next();
    const std::uint8_t check = wf::storage::secded_check(data);
    const auto clean = wf::storage::secded_decode(data, check);
    REQUIRE(clean.status == SecdedStatus::ok);
    REQUIRE(clean.data == data);
    for (int a = 0; a < 72; ++a) {
      std::uint64_t d1 = data;
      std::uint8_t c1 = check;
      flip(d1, c1, a);
      const auto single = wf::storage::secded_decode(d1, c1);
      REQUIRE(single.status == SecdedStatus::corrected);
      REQUIRE(single.data == data);
      for (int b = a + 1; b < 72; ++b) {
        std::uint64_t d2 = d1;
        std::uint8_t c2 = c1;
        flip(d2, c2, b);
        REQUIRE(wf::storage::secded_decode(d2, c2).status == SecdedStatus::uncorrectable);
      }
    }
  }
}

// Question: does ondie_ecc correct what a DDR5 device's (136,128) SEC code corrects, and
// miscorrect what it miscorrects? Hand-placed cell faults in one device word of a stored
// image, read through the stage's device pass; the expected triples are counted here from
// the documented parity-check matrix (docs/protections.md).
#include <doctest/doctest.h>

#include <bit>
#include <vector>

#include "memory_models/fault_map.h"
#include "sim/network_storage.h"
#include "storage/protection.h"
#include "tests/fixtures.h"

namespace wf = weightfault;
using namespace wf::memory;

namespace {

struct Device {
  AddressMapping mapping{Geometry{}, "RoBaRaCoCh"};  // 8 x8 devices, 64-bit bus
  wf::storage::StoredImage image = wf::sim::store_network(
      wf::test::tiny_mnist_network(71), wf::storage::make_protection("ondie_ecc"),
      {wf::storage::dtype_named("fp32"), {}, false}, PlacementPolicy::packed, mapping);
  const wf::storage::ProtectionStageInfo& stage = *wf::storage::find_stage("ondie_ecc");

  // Memory bit of data cell i (0..127) of device `chip` in device word `block`: 16 bus words.
  std::uint64_t cell(std::uint64_t block, std::uint64_t chip, std::uint64_t i) const {
    return (block * 16 + i / 8) * 64 + chip * 8 + i % 8;
  }
  // Wrong bits of the image after the faults and the device's correction.
  std::size_t wrong_after(const FaultMap& map) const {
    auto bytes = image.golden_bytes();
    auto applied = map.apply(0.0, mapping, image.placement(), bytes);
    stage.device_read(image, mapping, map, 0.0, {}, bytes, applied.touched_bits);
    std::size_t wrong = 0;
    for (std::size_t k = 0; k < bytes.size(); ++k)
      wrong += static_cast<std::size_t>(
          std::popcount(static_cast<unsigned>(bytes[k] ^ image.golden_bytes()[k])));
    return wrong;
  }
};

}  // namespace

TEST_CASE("ondie_ecc corrects any one cell of a device word; doubles stay or become triples") {
  const Device d;
  const std::uint64_t block = 2, chip = 5;  // inside the first tensor's words
  REQUIRE(d.image.placement().image_bit_at(d.cell(block, chip, 127)).has_value());
  for (std::uint64_t i = 0; i < 128; ++i) {
    FaultMap map;
    map.add(BitFault{d.cell(block, chip, i), FaultKind::flip, 0, 0.0, kNever});
    REQUIRE(d.wrong_after(map) == 0);
  }
  // The documented matrix: data bit i has the i-th 8-bit value of weight >= 2.
  std::vector<unsigned> column;
  for (unsigned v = 3; column.size() < 128; ++v) {
    if (std::popcount(v) >= 2) column.push_back(v);
  }
  std::size_t expected_triples = 0, triples = 0, pairs = 0;
  for (std::uint64_t a = 0; a < 128; ++a) {
    for (std::uint64_t b = a + 1; b < 128; ++b) {
      const unsigned s = column[a] ^ column[b];
      for (std::uint64_t c = 0; c < 128; ++c) expected_triples += column[c] == s ? 1 : 0;
      FaultMap map;
      map.add(BitFault{d.cell(block, chip, a), FaultKind::flip, 0, 0.0, kNever});
      map.add(BitFault{d.cell(block, chip, b), FaultKind::flip, 0, 0.0, kNever});
      const auto wrong = d.wrong_after(map);
      REQUIRE((wrong == 2 || wrong == 3));
      triples += wrong == 3 ? 1 : 0;
      ++pairs;
    }
  }
  MESSAGE(triples, " of ", pairs, " double errors miscorrected into triples");
  CHECK(triples == expected_triples);
  CHECK(triples > 0);
  // Two cells in different devices are two device words: both corrected.
  FaultMap two;
  two.add(BitFault{d.cell(block, 1, 9), FaultKind::flip, 0, 0.0, kNever});
  two.add(BitFault{d.cell(block, 2, 9), FaultKind::flip, 0, 0.0, kNever});
  CHECK(d.wrong_after(two) == 0);
}

TEST_CASE("ondie_ecc: a flipped device row also flips its hidden check cells") {
  // Every cell of device 3 in the row flipped, check cells included: per device word the
  // syndrome is the XOR of all 128 data columns and 0xFF; it names at most one cell.
  const Device d;
  FaultRecord r;
  r.address = d.mapping.to_physical(d.cell(0, 3, 0));
  r.wildcard = wildcard_of({Field::column, Field::bit});
  r.kind = FaultKind::flip;
  FaultMap map;
  map.add(r);
  auto bytes = d.image.golden_bytes();
  auto applied = map.apply(0.0, d.mapping, d.image.placement(), bytes);
  const std::size_t before = applied.touched_bits.size();
  d.stage.device_read(d.image, d.mapping, map, 0.0, {}, bytes, applied.touched_bits);
  unsigned all = 0xFF;
  std::size_t v = 3, n = 0;
  while (n < 128) {
    if (std::popcount(v) >= 2) {
      all ^= static_cast<unsigned>(v);
      ++n;
    }
    ++v;
  }
  // The syndrome names a data cell iff it has weight >= 2 and ranks below 128.
  std::size_t rank = 0;
  bool names_data = false;
  for (unsigned u = 3; u <= all && std::popcount(all) >= 2; ++u) {
    if (std::popcount(u) < 2) continue;
    if (u == all) names_data = rank < 128;
    ++rank;
  }
  const std::size_t device_words = before / 128;  // whole device words in the image
  CHECK(applied.touched_bits.size() - before == (names_data ? device_words : 0));
}

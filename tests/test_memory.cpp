// Questions: do address mappings and placements map both ways? Does a fault
// map touch exactly the bits its records match, never the golden image, with
// stuck-at cells reading their stuck value?
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <set>

#include "common/input_error.h"
#include "common/split_mix.h"
#include "memory_models/fault_map.h"

namespace wf = weightfault;
using namespace wf::memory;

namespace {

Geometry small_geometry() {
  Geometry g;
  g.channels = 2;
  g.ranks = 2;
  g.chips = 4;
  g.device_width = 8;  // 32-bit bus
  g.banks = 4;
  g.rows = 16;
  g.columns = 8;
  return g;
}

}  // namespace

TEST_CASE("address mappings map linear <-> physical both ways for every bit") {
  const Geometry g = small_geometry();
  for (const char* scheme : {"RoBaRaCoCh", "ChRaBaRoCo", "BaRoCoChRa"}) {
    const AddressMapping m(g, scheme);
    std::set<std::array<std::uint64_t, kFieldCount>> seen;
    for (std::uint64_t bit = 0; bit < g.total_bits(); ++bit) {
      const auto a = m.to_physical(bit);
      for (int f = 0; f < kFieldCount; ++f)
        REQUIRE(a.get(static_cast<Field>(f)) < g.size(static_cast<Field>(f)));
      REQUIRE(m.to_linear(a) == bit);
      seen.insert(a.fields);
    }
    CHECK(seen.size() == g.total_bits());  // a bijection
  }
}

TEST_CASE("RoBaRaCoCh interleaves channels; ChRaBaRoCo fills a bank row by row") {
  const Geometry g = small_geometry();
  const AddressMapping interleaved(g, "RoBaRaCoCh");
  CHECK(interleaved.to_physical(0).get(Field::channel) == 0);
  CHECK(interleaved.to_physical(32).get(Field::channel) == 1);  // next bus word
  CHECK(interleaved.to_physical(64).get(Field::column) == 1);
  const AddressMapping linear(g, "ChRaBaRoCo");
  CHECK(linear.to_physical(32).get(Field::column) == 1);
  CHECK(linear.to_physical(32 * 8).get(Field::row) == 1);
  CHECK(linear.to_physical(7).chip(g) == 0);
  CHECK(linear.to_physical(8).chip(g) == 1);
}

TEST_CASE("a bad mapping scheme names the problem and the valid tokens") {
  CHECK_THROWS_WITH_AS(AddressMapping(small_geometry(), "RoBaRaCoXx"),
                       doctest::Contains("unknown token 'Xx'"), wf::InputError);
  CHECK_THROWS_WITH_AS(AddressMapping(small_geometry(), "RoRoRaCoCh"),
                       doctest::Contains("appears twice"), wf::InputError);
  CHECK_THROWS_WITH_AS(AddressMapping(small_geometry(), "RoBa"),
                       doctest::Contains("Ch, Ra, Ba, Ro, Co"), wf::InputError);
}

TEST_CASE("placement: packed and row-aligned offsets, located both ways") {
  const Geometry g = small_geometry();
  const AddressMapping m(g, "RoBaRaCoCh");
  const std::vector<Segment> segments{{"a", 3, 32}, {"b", 5, 8}, {"c", 2, 16}};
  const Placement packed(segments, PlacementPolicy::packed, m);
  CHECK(packed.first_bit(1) == 96);
  CHECK(packed.first_bit(2) == 136);
  CHECK(packed.extent_bits() == 168);
  const Placement aligned(segments, PlacementPolicy::row_aligned, m);
  const std::uint64_t row = m.row_alignment_bits();
  CHECK(row == 8 * 2 * 32);  // columns x channels x bus width
  CHECK(aligned.memory_bit(aligned.first_bit(1)) == row);
  CHECK(m.to_physical(aligned.memory_bit(aligned.first_bit(2))).get(Field::column) == 0);
  for (const Placement* p : {&packed, &aligned}) {
    for (std::size_t s = 0; s < segments.size(); ++s) {
      for (std::uint64_t w = 0; w < segments[s].words; ++w) {
        for (std::uint32_t b = 0; b < segments[s].word_bits; ++b) {
          const auto image_bit = p->image_bit(s, w, b);
          REQUIRE(p->image_bit_at(p->memory_bit(image_bit)) == image_bit);
          const auto at = p->locate(image_bit);
          REQUIRE(at.has_value());
          REQUIRE(at->segment == s);
          REQUIRE(at->word == w);
          REQUIRE(at->bit == b);
        }
      }
    }
  }
  CHECK_FALSE(aligned.image_bit_at(aligned.memory_bit(aligned.first_bit(0)) + 96));  // padding
  CHECK_THROWS_WITH_AS(Placement({{"big", g.words() * 2, 32}}, PlacementPolicy::packed, m),
                       doctest::Contains("enlarge the geometry"), wf::InputError);
}

TEST_CASE("applying a fault map: flips, stuck-at cells, and the golden image untouched") {
  const Geometry g = small_geometry();
  const AddressMapping m(g, "RoBaRaCoCh");
  const Placement p({{"t", 16, 8}}, PlacementPolicy::packed, m);
  const std::vector<std::uint8_t> golden{0x0f, 0xf0, 0x00, 0xff, 0, 0, 0, 0,
                                         0,    0,    0,    0,    0, 0, 0, 0};
  FaultMap map;
  map.add(BitFault{0, FaultKind::flip});         // 0x0f -> 0x0e
  map.add(BitFault{8, FaultKind::stuck_at_0});   // 0xf0 bit 0 already 0: no change
  map.add(BitFault{12, FaultKind::stuck_at_0});  // 0xf0 -> 0xe0
  map.add(BitFault{16, FaultKind::flip});        // flipped, then stuck at 1 below: reads 1
  map.add(BitFault{16, FaultKind::stuck_at_1});
  map.add(BitFault{24, FaultKind::stuck_at_1});          // 0xff already 1
  map.add(BitFault{40, FaultKind::flip, 0, 5.0, 10.0});  // not active at t = 0
  auto image = golden;
  const auto result = map.apply(0.0, m, p, image);
  CHECK(image[0] == 0x0e);
  CHECK(image[1] == 0xe0);
  CHECK(image[2] == 0x01);
  CHECK(image[3] == 0xff);
  CHECK(image[5] == 0x00);
  CHECK(result.records_touching == 6);
  auto later = golden;
  map.apply(7.0, m, p, later);
  CHECK(later[5] == 0x01);
  CHECK(golden[0] == 0x0f);
}

TEST_CASE("a masked record touches exactly the bits it matches below the image extent") {
  const Geometry g = small_geometry();
  const AddressMapping m(g, "ChRaBaRoCo");
  // A row fault: channel 0, rank 0, bank 0, row 1, any column, any bit.
  FaultRecord row;
  row.address.set(Field::row, 1);
  row.wildcard = wildcard_of({Field::column, Field::bit});
  std::vector<std::uint64_t> bits;
  for_each_matching_bit(row, m, g.total_bits(), [&](std::uint64_t b) { bits.push_back(b); });
  CHECK(bits.size() == g.columns * g.device_width);  // one chip's bits of every column of the row
  for (const auto b : bits) {
    const auto a = m.to_physical(b);
    CHECK(a.get(Field::row) == 1);
    CHECK(a.get(Field::bank) == 0);
    CHECK(a.chip(g) == 0);
  }
  // A bank fault in a large image range is pruned at the extent.
  FaultRecord bank;
  bank.wildcard = wildcard_of({Field::row, Field::column, Field::bit});
  std::size_t below = 0;
  for_each_matching_bit(bank, m, 1000, [&](std::uint64_t b) {
    CHECK(b < 1000);
    ++below;
  });
  CHECK(below == 1000 / g.bus_width() * g.device_width +
                     std::min<std::uint64_t>(1000 % g.bus_width(), g.device_width));
  // Applying the row fault as stuck-at-1 to a zero image sets exactly those bits.
  const Placement p({{"t", g.words(), 32}}, PlacementPolicy::packed, m);
  std::vector<std::uint8_t> image(g.total_bits() / 8, 0);
  FaultMap map;
  row.kind = FaultKind::stuck_at_1;
  map.add(row);
  map.apply(0.0, m, p, image);
  std::size_t ones = 0;
  for (auto byte : image) ones += static_cast<std::size_t>(std::popcount(byte));
  CHECK(ones == g.columns * g.device_width);
}

TEST_CASE("a logical fault resolves through the placement and is checked") {
  const Geometry g = small_geometry();
  const AddressMapping m(g, "RoBaRaCoCh");
  const Placement p({{"a", 2, 8}, {"b", 2, 16}}, PlacementPolicy::packed, m);
  std::vector<std::uint8_t> image(6, 0);
  FaultMap map;
  map.add(LogicalFault{"b", 1, 9, FaultKind::flip, 0});
  map.apply(0.0, m, p, image);
  CHECK(image[5] == 0x02);  // b starts at byte 2; word 1 = bytes 4..5; bit 9 = byte 5 bit 1
  FaultMap bad;
  bad.add(LogicalFault{"b", 1, 16, FaultKind::flip, 0});
  CHECK_THROWS_WITH_AS(bad.apply(0.0, m, p, image), doctest::Contains("outside the tensor"),
                       wf::InputError);
  FaultMap missing;
  missing.add(LogicalFault{"zz", 0, 0, FaultKind::flip, 0});
  CHECK_THROWS_WITH_AS(missing.apply(0.0, m, p, image), doctest::Contains("no such tensor"),
                       wf::InputError);
}

TEST_CASE("a rewrite clears flips made before it; stuck-at cells stay stuck") {
  const Geometry g = small_geometry();
  const AddressMapping m(g, "RoBaRaCoCh");
  const Placement p({{"t", 4, 8}}, PlacementPolicy::packed, m);
  FaultMap map;
  map.add(BitFault{0, FaultKind::flip, 0, 5.0, kNever});
  map.add(BitFault{1, FaultKind::stuck_at_1, 0, 5.0, kNever});
  map.add(BitFault{2, FaultKind::flip, 0, 12.0, kNever});
  map.clear_flips_at_rewrites(10.0);
  const auto read_at = [&](double t) {
    std::vector<std::uint8_t> image(4, 0);
    map.apply(t, m, p, image);
    return image[0];
  };
  CHECK(read_at(4.0) == 0x00);   // nothing yet
  CHECK(read_at(7.0) == 0x03);   // flip and stuck cell
  CHECK(read_at(10.0) == 0x02);  // the rewrite at 10 s cleared the flip
  CHECK(read_at(15.0) == 0x06);  // a new flip at 12 s, until the rewrite at 20 s
  CHECK(read_at(20.0) == 0x02);
}

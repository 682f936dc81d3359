// Question: does chipkill correct any one device, on a memory whose ECC devices hold the
// check symbols beside each bus word? The Reed-Solomon code against every single-symbol
// error and a sample of double ones; the ECC lanes of the placement; the stage against
// whole-device faults, with SEC-DED on an ECC DIMM as the contrast.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "common/input_error.h"
#include "common/split_mix.h"
#include "memory_models/fault_map.h"
#include "sim/network_storage.h"
#include "storage/reed_solomon.h"
#include "tests/fixtures.h"

namespace wf = weightfault;
using namespace wf::memory;

namespace {

Geometry ecc_rank(std::uint64_t ecc_chips) {
  Geometry g;
  g.chips = 8;
  g.device_width = 8;
  g.ecc_chips = ecc_chips;
  g.rows = 4096;
  return g;
}

// A fault over the whole of device `chip` (every bank, row and column of the rank).
FaultRecord whole_device(const Geometry& g, std::uint64_t chip, FaultKind kind) {
  FaultRecord r;
  r.address.set(Field::bit, chip * g.device_width);
  r.wildcard = wildcard_of({Field::rank, Field::bank, Field::row, Field::column, Field::bit});
  r.kind = kind;
  return r;
}

struct Outcome {
  std::size_t groups = 0, ok = 0, corrected = 0, detected = 0, silent = 0;  // silent: wrong data
};

// Reads every group of every tensor of `image` under `map` and classifies the reads.
Outcome read_all(const wf::storage::StoredImage& image, const AddressMapping& m,
                 const FaultMap& map) {
  auto bytes = image.golden_bytes();
  map.apply(0.0, m, image.placement(), bytes);
  Outcome out;
  for (std::size_t t = 0; t < image.tensors().size(); ++t) {
    const auto& st = image.tensors()[t];
    for (std::size_t g = 0; g < st.groups(); ++g) {
      const auto read = image.read_group(t, g, bytes);
      const auto truth = image.read_group(t, g, image.golden_bytes()).bits;
      ++out.groups;
      if (read.status == wf::storage::ReadStatus::detected) {
        ++out.detected;
      } else if (read.bits != truth) {
        ++out.silent;
      } else if (read.status == wf::storage::ReadStatus::corrected) {
        ++out.corrected;
      } else {
        ++out.ok;
      }
    }
  }
  return out;
}

wf::storage::StoredImage store(
    const char* chain, const AddressMapping& m,
    std::initializer_list<std::pair<const char*, wf::ParamValue>> p = {}) {
  wf::ParamValues overrides;
  for (const auto& [k, v] : p) overrides.set(k, v);
  return wf::sim::store_network(
      wf::test::tiny_mnist_network(61), wf::storage::make_protection(chain, overrides),
      {wf::storage::dtype_named("fp32"), {}, false}, PlacementPolicy::packed, m);
}

}  // namespace

TEST_CASE("Reed-Solomon over GF(256): every single-symbol error corrected, doubles detected") {
  wf::SplitMix64 rng(7);
  for (const std::size_t r : {2u, 3u}) {
    INFO(r, " check symbols");
    std::vector<std::uint8_t> data(8), check(r);
    double doubles = 0, miscorrected = 0;
    for (int trial = 0; trial < 20; ++trial) {
      for (auto& d : data) d = static_cast<std::uint8_t>(rng.next());
      wf::storage::rs_encode(data, check);
      const auto clean_data = data;
      const auto clean_check = check;
      {
        auto d = data;
        auto c = check;
        REQUIRE(wf::storage::rs_decode(d, c) == wf::storage::SymbolDecode::ok);
      }
      const std::size_t n = data.size() + r;
      const auto corrupt = [&](std::vector<std::uint8_t>& d, std::vector<std::uint8_t>& c,
                               std::size_t p, std::uint8_t e) { (p < r ? c[p] : d[p - r]) ^= e; };
      for (std::size_t p = 0; p < n; ++p) {
        for (int e = 1; e < 256; ++e) {
          auto d = clean_data;
          auto c = clean_check;
          corrupt(d, c, p, static_cast<std::uint8_t>(e));
          REQUIRE(wf::storage::rs_decode(d, c) == wf::storage::SymbolDecode::corrected);
          REQUIRE(d == clean_data);
          REQUIRE(c == clean_check);
          // A second symbol wrong: never read as clean; with 3 checks always detected.
          for (std::size_t q = p + 1; q < n; ++q) {
            auto d2 = d;
            auto c2 = c;
            corrupt(d2, c2, p, static_cast<std::uint8_t>(e));
            corrupt(d2, c2, q, static_cast<std::uint8_t>(1 + rng.next() % 255));
            const auto status = wf::storage::rs_decode(d2, c2);
            REQUIRE(status != wf::storage::SymbolDecode::ok);
            if (r >= 3) REQUIRE(status == wf::storage::SymbolDecode::uncorrectable);
            doubles += 1;
            miscorrected += status == wf::storage::SymbolDecode::corrected ? 1 : 0;
          }
        }
      }
    }
    if (r == 2) {
      // Distance 3: a double error names some position; it lies among the n - 2 others with
      // probability ~(n - 2) / 254 (the ratio S1/S0 is nearly uniform and never names the
      // two wrong positions): 8/254 = 3.1 %, 4-sigma binomial band.
      const double p = 8.0 / 254.0;
      CHECK(std::abs(miscorrected - doubles * p) < 4.0 * std::sqrt(doubles * p * (1 - p)));
      CHECK_FALSE(std::abs(miscorrected - doubles * 2 * p) <
                  4.0 * std::sqrt(doubles * p * (1 - p)));  // negative control
    } else {
      CHECK(miscorrected == 0);
    }
  }
}

TEST_CASE("placement with ECC devices: data in the data lanes, a sideband beside its bus words") {
  const Geometry g = ecc_rank(2);
  const AddressMapping m(g, "RoBaRaCoCh");
  REQUIRE(g.bus_width() == 80);
  const std::vector<Segment> segments{
      {"w", 100, 32}, {"w/check", 50, 16, 0}, {"b", 3, 32}, {"scale", 1, 32}};
  const Placement p(segments, PlacementPolicy::packed, m);
  for (std::size_t s = 0; s < segments.size(); ++s) {
    for (std::uint64_t w = 0; w < segments[s].words; ++w) {
      for (std::uint32_t b = 0; b < segments[s].word_bits; ++b) {
        const auto image_bit = p.image_bit(s, w, b);
        const auto memory_bit = p.memory_bit(image_bit);
        REQUIRE(p.image_bit_at(memory_bit) == image_bit);
        if (s == 1) {
          // Check word w lies in the ECC lanes of the bus word holding data bits 64w..64w+63.
          REQUIRE(memory_bit % 80 >= 64);
          REQUIRE(memory_bit / 80 == p.memory_bit(p.image_bit(0, 2 * w, 0)) / 80);
        } else {
          REQUIRE(memory_bit % 80 < 64);
        }
      }
    }
  }
  // Each data segment starts on a bus word; ECC lanes beside "b" belong to no segment.
  CHECK(p.memory_bit(p.first_bit(2)) % 80 == 0);
  CHECK_FALSE(p.image_bit_at(p.memory_bit(p.first_bit(2)) + 64).has_value());
  CHECK(p.extent_bits() % 80 == 0);
  // A sideband needs ECC lanes.
  const AddressMapping plain(ecc_rank(0), "RoBaRaCoCh");
  CHECK_THROWS_WITH_AS(Placement(segments, PlacementPolicy::packed, plain),
                       doctest::Contains("ecc_chips"), wf::InputError);
}

TEST_CASE("chipkill corrects a whole failed device, data or ECC; SEC-DED on an ECC DIMM cannot") {
  const AddressMapping m2(ecc_rank(2), "RoBaRaCoCh");
  const auto chipkill = store("chipkill", m2);
  for (std::uint64_t chip = 0; chip < 10; ++chip) {
    INFO("device ", chip);
    FaultMap map;
    map.add(whole_device(m2.geometry(), chip, FaultKind::flip));
    const auto out = read_all(chipkill, m2, map);
    CHECK(out.silent == 0);
    CHECK(out.detected == 0);
    CHECK(out.corrected == out.groups);  // every codeword had one wrong symbol
  }
  // Two devices with 2 check symbols: detected or, for a few, miscorrected (silent). Stuck
  // devices make data-dependent symbol errors (all-ones flips in both would cancel in S0).
  {
    FaultMap map;
    map.add(whole_device(m2.geometry(), 1, FaultKind::stuck_at_1));
    map.add(whole_device(m2.geometry(), 6, FaultKind::stuck_at_0));
    const auto out = read_all(chipkill, m2, map);
    MESSAGE("2 devices, 2 checks: ", out.detected, " detected, ", out.silent, " silent of ",
            out.groups);
    CHECK(out.detected > out.groups / 2);
    CHECK(out.silent < out.groups / 10);
  }
  // With 3 check symbols every two-device error is detected.
  const AddressMapping m3(ecc_rank(3), "RoBaRaCoCh");
  const auto sscdsd = store("chipkill", m3, {{"chipkill.check_symbols", 3.0}});
  FaultMap two;
  two.add(whole_device(m3.geometry(), 1, FaultKind::flip));
  two.add(whole_device(m3.geometry(), 9, FaultKind::flip));
  const auto out3 = read_all(sscdsd, m3, two);
  CHECK(out3.silent == 0);
  CHECK(out3.detected == out3.groups);

  // SEC-DED with its check byte on the ECC device: a failed data device is 8 wrong bits.
  const AddressMapping m1(ecc_rank(1), "RoBaRaCoCh");
  const auto secded = store("secded", m1);
  FaultMap one;
  one.add(whole_device(m1.geometry(), 3, FaultKind::flip));
  const auto out1 = read_all(secded, m1, one);
  CHECK(out1.corrected + out1.ok == 0);
  CHECK(out1.detected + out1.silent == out1.groups);
  // A failed ECC device is 8 wrong check bits: never silent, but every word uncorrectable.
  FaultMap ecc_device;
  ecc_device.add(whole_device(m1.geometry(), 8, FaultKind::flip));
  const auto out_ecc = read_all(secded, m1, ecc_device);
  CHECK(out_ecc.silent == 0);
  CHECK(out_ecc.detected == out_ecc.groups);
}

TEST_CASE("chipkill names what it needs when the memory lacks it") {
  const AddressMapping plain(Geometry{}, "RoBaRaCoCh");
  CHECK_THROWS_WITH_AS(store("chipkill", plain), doctest::Contains("ecc_chips = 2"),
                       wf::InputError);
  Geometry x4 = ecc_rank(2);
  x4.device_width = 4;
  x4.chips = 16;
  x4.ecc_chips = 4;
  const AddressMapping m(x4, "RoBaRaCoCh");
  CHECK_THROWS_WITH_AS(store("chipkill", m), doctest::Contains("8 x8 data devices"),
                       wf::InputError);
}

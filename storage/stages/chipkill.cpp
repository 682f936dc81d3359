// chipkill: a Reed-Solomon symbol code across the rank's devices (storage/reed_solomon.h).
// A codeword is one bus word: the 8 data devices' bytes (x8 devices, 64 data bits) and
// `check_symbols` check bytes on the rank's ECC devices in the same bus word (the ECC lanes,
// memory_models/placement.h) -- one 8-bit symbol per device, so any fault confined to one
// device, a whole chip included, corrupts one symbol and is corrected (single-symbol
// correct; with 3 check symbols every two-device error is detected). Commercial chipkill
// works so (Dell, "A white paper on the benefits of chipkill-correct ECC", 1997 [R]; AMD
// and Intel SDDC [R]); x4 parts build their 8-bit symbols from two bus words, not modelled.
// A detected-uncorrectable codeword reads as zeros (policy zero) or its raw bits (keep).
#include <fmt/format.h>

#include <array>

#include "common/input_error.h"
#include "storage/protection.h"
#include "storage/reed_solomon.h"
#include "storage/stored_image.h"

namespace weightfault::storage {
namespace {

constexpr std::size_t kDataSymbols = 8;  // 64 data bits, one byte per x8 device

class Chipkill final : public TensorStage {
 public:
  Chipkill(std::size_t check_symbols, bool zero_uncorrectable)
      : check_symbols_(check_symbols), zero_uncorrectable_(zero_uncorrectable) {}
  bool is_code() const override { return true; }
  bool corrects() const override { return true; }

  void write_golden(const StoredImage& image, std::size_t tensor,
                    std::span<std::uint8_t> bytes) const override {
    const auto& st = image.tensors()[tensor];
    const std::size_t at = image.first_byte(segment);
    for (std::size_t g = 0; g < st.groups(); ++g) {
      const auto data = symbols_of(image.raw_group_bits(st, g, bytes));
      rs_encode(data, bytes.subspan(at + g * check_symbols_, check_symbols_));
    }
  }
  GroupRange groups_of_word(std::size_t tensor, std::uint64_t word) const override {
    return {tensor, word, word + 1};
  }
  GroupRead read_group(const StoredImage& image, std::size_t, std::size_t group, std::uint64_t raw,
                       std::span<const std::uint8_t> bytes) const override {
    auto data = symbols_of(raw);
    std::array<std::uint8_t, 4> check{};
    const std::size_t at = image.first_byte(segment) + group * check_symbols_;
    for (std::size_t j = 0; j < check_symbols_; ++j) check[j] = bytes[at + j];
    switch (rs_decode(data, std::span(check).first(check_symbols_))) {
      case SymbolDecode::uncorrectable:
        return {raw, ReadStatus::detected, zero_uncorrectable_};
      case SymbolDecode::corrected:
        return {bits_of(data), ReadStatus::corrected, false};
      case SymbolDecode::ok:
        break;
    }
    return {raw, ReadStatus::ok, false};
  }
  std::pair<std::uint64_t, std::uint32_t> check_word_of(std::size_t group) const override {
    return {group, static_cast<std::uint32_t>(8 * check_symbols_)};
  }

 private:
  static std::array<std::uint8_t, kDataSymbols> symbols_of(std::uint64_t bits) {
    std::array<std::uint8_t, kDataSymbols> s{};
    for (std::size_t i = 0; i < kDataSymbols; ++i)
      s[i] = static_cast<std::uint8_t>(bits >> (8 * i));
    return s;
  }
  static std::uint64_t bits_of(const std::array<std::uint8_t, kDataSymbols>& s) {
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < kDataSymbols; ++i)
      bits |= static_cast<std::uint64_t>(s[i]) << (8 * i);
    return bits;
  }

  std::size_t check_symbols_;
  bool zero_uncorrectable_;
};

std::optional<std::string> memory_problem(const memory::Geometry& g, const ParamValues& params) {
  const auto check_symbols = static_cast<std::uint64_t>(params.number("check_symbols"));
  if (g.device_width == 8 && g.chips == kDataSymbols && g.ecc_chips >= check_symbols)
    return std::nullopt;
  return fmt::format(
      "chipkill needs 8 x8 data devices and {} x8 ECC devices per rank ([memory] chips = 8, "
      "device_width = 8, ecc_chips = {}); the memory has {} x{} data and {} ECC devices",
      check_symbols, check_symbols, g.chips, g.device_width, g.ecc_chips);
}

}  // namespace

ProtectionStageInfo chipkill_stage_info() {
  ProtectionStageInfo info;
  info.name = "chipkill";
  info.description =
      "Reed-Solomon symbol code across devices (chipkill): one 8-bit symbol per x8 device per "
      "bus word, check symbols on the rank's ECC devices; corrects any one device";
  info.params = {
      number_param("check_symbols", "symbols",
                   "check symbols (ECC devices used) per codeword: 2 corrects one device, 3 also "
                   "detects any two",
                   2.0, 4.0, 2.0, false),
      choice_param("policy",
                   "a detected-uncorrectable word: zero its weights, or keep the raw bits",
                   {"zero", "keep"}, "zero")};
  info.is_code = true;
  info.memory_problem = memory_problem;
  info.bind = [](const TensorPlan& plan, const ParamValues& params) {
    auto& st = plan.tensor;
    const auto check_symbols = static_cast<std::size_t>(params.number("check_symbols"));
    if (const auto problem = memory_problem(plan.geometry, params))
      throw InputError(fmt::format("protection '{}': {}", plan.protection, *problem));
    if (64 % st.dtype.bits() != 0) {
      throw InputError(fmt::format(
          "protection '{}': chipkill packs whole weights into 64-bit codewords; '{}' is stored "
          "in {} bits, which do not divide 64",
          plan.protection, st.name, st.dtype.bits()));
    }
    st.group_elements = static_cast<std::size_t>(64 / st.dtype.bits());
    auto stage = std::make_unique<Chipkill>(check_symbols, params.text("policy") == "zero");
    stage->segment =
        plan.add_sideband_segment("chipkill", static_cast<std::uint32_t>(8 * check_symbols));
    return stage;
  };
  return info;
}

}  // namespace weightfault::storage

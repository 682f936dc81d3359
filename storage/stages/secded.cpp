// secded: Hamming SEC-DED (72,64) over 64-bit codewords of weights (storage/secded_code.h),
// one check byte per codeword in the same fault-prone memory: on the rank's ECC device
// beside its bus word when the memory has one (an ECC DIMM; [memory] ecc_chips), else in a
// segment of the data devices. A detected-uncorrectable
// codeword reads as zeros (policy zero) or as its raw bits (policy keep). Scrubs write the
// corrections back (sim/scrub.h).
#include <fmt/format.h>

#include "common/input_error.h"
#include "storage/protection.h"
#include "storage/secded_code.h"
#include "storage/stored_image.h"

namespace weightfault::storage {
namespace {

class Secded final : public TensorStage {
 public:
  explicit Secded(bool zero_uncorrectable) : zero_uncorrectable_(zero_uncorrectable) {}
  bool is_code() const override { return true; }
  bool corrects() const override { return true; }
  void write_golden(const StoredImage& image, std::size_t tensor,
                    std::span<std::uint8_t> bytes) const override {
    const auto& st = image.tensors()[tensor];
    const std::size_t at = image.first_byte(segment);
    for (std::size_t g = 0; g < st.groups(); ++g)
      bytes[at + g] = secded_check(image.raw_group_bits(st, g, bytes));
  }
  GroupRange groups_of_word(std::size_t tensor, std::uint64_t word) const override {
    return {tensor, word, word + 1};
  }
  GroupRead read_group(const StoredImage& image, std::size_t, std::size_t group, std::uint64_t raw,
                       std::span<const std::uint8_t> bytes) const override {
    const auto r = secded_decode(raw, bytes[image.first_byte(segment) + group]);
    switch (r.status) {
      case SecdedStatus::uncorrectable:
        return {raw, ReadStatus::detected, zero_uncorrectable_};
      case SecdedStatus::corrected:
        return {r.data, ReadStatus::corrected, false};
      case SecdedStatus::ok:
        break;
    }
    return {r.data, ReadStatus::ok, false};
  }
  std::pair<std::uint64_t, std::uint32_t> check_word_of(std::size_t group) const override {
    return {group, 8};
  }

 private:
  bool zero_uncorrectable_;
};

// With ECC devices, a codeword is one bus word: 64 data bits and the check byte beside them.
std::optional<std::string> memory_problem(const memory::Geometry& g, const ParamValues&) {
  if (g.bus_width() == g.data_width() ||
      (g.data_width() == 64 && g.bus_width() - g.data_width() >= 8))
    return std::nullopt;
  return fmt::format(
      "secded on a memory with ECC devices puts a codeword's 64 data bits and its check byte "
      "in one bus word: it needs chips x device_width = 64 and at least 8 ECC bits; the memory "
      "has {} data and {} ECC bits per bus word",
      g.data_width(), g.bus_width() - g.data_width());
}

}  // namespace

ProtectionStageInfo secded_stage_info() {
  ProtectionStageInfo info;
  info.name = "secded";
  info.description =
      "Hamming SEC-DED (72,64) over 64-bit words, check bytes in the same fault-prone memory";
  info.params = {choice_param(
      "policy", "a detected-uncorrectable word: zero its weights, or keep the raw bits",
      {"zero", "keep"}, "zero")};
  info.is_code = true;
  info.memory_problem = memory_problem;
  info.bind = [](const TensorPlan& plan, const ParamValues& params) {
    auto& st = plan.tensor;
    st.group_elements = static_cast<std::size_t>(64 / st.dtype.bits());
    auto stage = std::make_unique<Secded>(params.text("policy") == "zero");
    const auto& g = plan.geometry;
    if (g.bus_width() == g.data_width()) {
      stage->segment = plan.add_segment("ecc", st.groups(), 8);
      return stage;
    }
    if (const auto problem = memory_problem(g, params))
      throw InputError(fmt::format("protection '{}': {}", plan.protection, *problem));
    if (64 % st.dtype.bits() != 0) {
      throw InputError(fmt::format(
          "protection '{}': secded on a memory with ECC devices packs whole weights into one bus "
          "word's 64 data bits; '{}' is stored in {} bits, which do not divide 64",
          plan.protection, st.name, st.dtype.bits()));
    }
    stage->segment = plan.add_sideband_segment("ecc", 8);
    return stage;
  };
  return info;
}

}  // namespace weightfault::storage

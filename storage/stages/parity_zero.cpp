// parity_zero: one even-parity bit per weight (or per 64-bit word of weights), packed
// eight to a byte in the same fault-prone memory; a failed check reads the group as zeros.
#include <algorithm>
#include <bit>

#include "storage/protection.h"
#include "storage/stored_image.h"

namespace weightfault::storage {
namespace {

int parity_of(std::uint64_t bits) {
  return std::popcount(bits) & 1;
}

class ParityZero final : public TensorStage {
 public:
  explicit ParityZero(std::size_t groups) : groups_(groups) {}
  bool is_code() const override { return true; }
  void write_golden(const StoredImage& image, std::size_t tensor,
                    std::span<std::uint8_t> bytes) const override {
    const auto& st = image.tensors()[tensor];
    const std::size_t at = image.first_byte(segment);
    for (std::size_t g = 0; g < groups_; ++g) {
      if (parity_of(image.raw_group_bits(st, g, bytes)))
        bytes[at + g / 8] = static_cast<std::uint8_t>(bytes[at + g / 8] | (1u << (g % 8)));
    }
  }
  GroupRange groups_of_word(std::size_t tensor, std::uint64_t word) const override {
    return {tensor, word * 8, std::min<std::size_t>(word * 8 + 8, groups_)};  // 8 bits per byte
  }
  GroupRead read_group(const StoredImage& image, std::size_t, std::size_t group, std::uint64_t raw,
                       std::span<const std::uint8_t> bytes) const override {
    const int stored = (bytes[image.first_byte(segment) + group / 8] >> (group % 8)) & 1;
    if (parity_of(raw) != stored) return {raw, ReadStatus::detected, true};
    return {raw, ReadStatus::ok, false};
  }
  std::pair<std::uint64_t, std::uint32_t> check_word_of(std::size_t group) const override {
    return {group / 8, 8};
  }

 private:
  std::size_t groups_;
};

}  // namespace

ProtectionStageInfo parity_zero_stage_info() {
  ProtectionStageInfo info;
  info.name = "parity_zero";
  info.description = "a parity bit per weight (or per 64-bit word); a failed check reads as zero";
  info.params = {choice_param("granularity",
                              "one parity bit per weight, or per 64-bit word of weights",
                              {"weight", "word"}, "weight")};
  info.is_code = true;
  info.bind = [](const TensorPlan& plan, const ParamValues& params) {
    auto& st = plan.tensor;
    st.group_elements =
        params.text("granularity") == "weight" ? 1 : static_cast<std::size_t>(64 / st.dtype.bits());
    auto stage = std::make_unique<ParityZero>(st.groups());
    stage->segment = plan.add_segment("parity", (st.groups() + 7) / 8, 8);
    return stage;
  };
  return info;
}

}  // namespace weightfault::storage

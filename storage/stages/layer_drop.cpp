// layer_drop: a CRC-32 (zlib) per chunk of each detachable layer's stored words, in the same
// fault-prone memory; when a check fails the network runs as the trained sub-model without
// that layer (sub-networks: Fuengfusin & Tamukoh 2020; sim/ picks the sub-model). The CRC
// covers the words as the chain's code delivers them (after SEC-DED correction; an
// uncorrectable word fails its chunk) and the tensor's scale word when it is in memory.
#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>

#include "common/input_error.h"
#include "storage/protection.h"
#include "storage/stored_image.h"

namespace weightfault::storage {
namespace {

class LayerDrop final : public TensorStage {
 public:
  LayerDrop(std::size_t chunk_weights, std::size_t chunks)
      : chunk_weights_(chunk_weights), chunks_(chunks) {}

  std::size_t check_chunks() const override { return chunks_; }

  void write_golden(const StoredImage& image, std::size_t tensor,
                    std::span<std::uint8_t> bytes) const override {
    const std::size_t at = image.first_byte(segment);
    for (std::size_t c = 0; c < chunks_; ++c) {
      const std::uint32_t crc = chunk_crc(image, tensor, c, bytes).value();  // golden words read
      for (std::size_t b = 0; b < 4; ++b)
        bytes[at + 4 * c + b] = static_cast<std::uint8_t>(crc >> (8 * b));
    }
  }

  GroupRange chunks_of(std::size_t tensor, SegmentRole role, std::uint64_t word) const override {
    switch (role) {
      case SegmentRole::own:
        return {tensor, word, word + 1};
      case SegmentRole::tensor_scale:
        return {tensor, 0, chunks_};
      case SegmentRole::data:
        return {tensor, word / chunk_weights_, word / chunk_weights_ + 1};
      case SegmentRole::code:
        // Only a correcting code changes the words the CRC sees; chunks hold whole groups.
        if (code_ == nullptr || !code_->corrects()) return {};
        {
          const auto groups = code_->groups_of_word(tensor, word);
          const std::size_t first = groups.first * group_elements_ / chunk_weights_;
          const std::size_t last = (groups.last * group_elements_ - 1) / chunk_weights_ + 1;
          return {tensor, first, std::min(last, chunks_)};
        }
      case SegmentRole::other:
        break;
    }
    return {};
  }

  bool chunk_intact(const StoredImage& image, std::size_t tensor, std::size_t chunk,
                    std::span<const std::uint8_t> bytes) const override {
    const auto crc = chunk_crc(image, tensor, chunk, bytes);
    const std::size_t at = image.first_byte(segment) + 4 * chunk;
    std::uint32_t stored = 0;
    for (std::size_t b = 0; b < 4; ++b)
      stored |= static_cast<std::uint32_t>(bytes[at + b]) << (8 * b);
    return crc && *crc == stored;
  }

  void set_code(const TensorStage* code, std::size_t group_elements) {
    code_ = code;
    group_elements_ = group_elements;
  }

 private:
  // CRC-32 of a chunk's words as read; nullopt when a word of the chunk is uncorrectable.
  std::optional<std::uint32_t> chunk_crc(const StoredImage& image, std::size_t tensor,
                                         std::size_t chunk,
                                         std::span<const std::uint8_t> bytes) const {
    const auto& st = image.tensors()[tensor];
    const int word_bits = st.dtype.bits();
    const std::size_t first = chunk * chunk_weights_;
    const std::size_t last = std::min(first + chunk_weights_, st.elements);
    std::vector<std::uint8_t> words(packed_bytes(last - first, word_bits), 0);
    for (std::size_t g = first / st.group_elements; g * st.group_elements < last; ++g) {
      const auto read = image.read_group(tensor, g, bytes);
      if (read.status == ReadStatus::detected && st.code != nullptr && st.code->corrects())
        return std::nullopt;
      const auto [lo, hi] = st.group_bounds(g);
      store_bits(words, (lo - first) * static_cast<std::size_t>(word_bits),
                 static_cast<int>(hi - lo) * word_bits, read.bits);
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, words.data(), static_cast<uInt>(words.size()));
    if (st.scale_segment != SIZE_MAX)
      crc = crc32(crc, bytes.data() + image.first_byte(st.scale_segment), 4);
    return static_cast<std::uint32_t>(crc);
  }

  std::size_t chunk_weights_;
  std::size_t chunks_;
  const TensorStage* code_ = nullptr;
  std::size_t group_elements_ = 1;
};

}  // namespace

ProtectionStageInfo layer_drop_stage_info() {
  ProtectionStageInfo info;
  info.name = "layer_drop";
  info.description =
      "a CRC-32 per chunk of each detachable layer's stored words, in the same fault-prone "
      "memory; when a check fails the network runs as the trained sub-model without that layer "
      "(sub-networks: Fuengfusin & Tamukoh 2020)";
  info.params = {integer_param(
      "chunk_weights", "weights",
      "weights covered by one CRC-32 word (overhead 32 / chunk_weights bits per weight)", 8,
      1048576, 256)};
  info.effect = NetworkEffect::detach_layers;
  info.bind = [](const TensorPlan& plan,
                 const ParamValues& params) -> std::unique_ptr<TensorStage> {
    auto& st = plan.tensor;
    if (!st.detachable) return nullptr;
    // Chunks hold whole decode groups, so a CRC sees what the code corrected.
    const auto wanted = static_cast<std::size_t>(params.integer("chunk_weights"));
    const std::size_t chunk =
        (wanted + st.group_elements - 1) / st.group_elements * st.group_elements;
    auto stage = std::make_unique<LayerDrop>(chunk, (st.elements + chunk - 1) / chunk);
    stage->set_code(st.code, st.group_elements);
    stage->segment = plan.add_segment("crc", stage->check_chunks(), 32);
    return stage;
  };
  info.finish = [](std::span<TensorStage* const> bound, const ParamValues&, const ModelFacts& model,
                   const std::string& protection) {
    if (!bound.empty()) return;
    throw InputError(fmt::format(
        "protection '{}': model '{}' has no sub-models, so no layer can be dropped (train one "
        "with [[submodel]] tables, docs/training.md)",
        protection, model.name));
  };
  return info;
}

}  // namespace weightfault::storage

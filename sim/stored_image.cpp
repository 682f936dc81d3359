#include "sim/stored_image.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <zlib.h>

#include "common/input_error.h"
#include "nn/secded.h"
#include "nn/submodel.h"
#include "nn/weight_transform.h"

namespace weightfault::sim {
namespace {

struct Plan {
  std::vector<memory::Segment> segments;
  std::vector<StoredTensor> tensors;
};

std::size_t bytes_of(std::size_t bits) {
  return (bits + 7) / 8;
}

Plan plan_segments(const nn::Network& network, const nn::ProtectionSpec& protection,
                   const DTypeSpec& dtype) {
  Plan plan;
  const bool layer_drop = protection.has(nn::StageKind::layer_drop);
  const auto detachable = nn::droppable_layers(network);
  if (layer_drop && detachable.empty()) {
    throw InputError(fmt::format(
        "protection '{}': model '{}' has no sub-models, so no layer can be dropped (train one "
        "with [[submodel]] tables, docs/training.md)",
        protection.name, network.name));
  }
  const nn::WeightTransform* saf = saf_transform(network, protection);
  // `scale` with one factor for the whole model uses the smallest per-tensor factor.
  const bool scale = protection.has(nn::StageKind::scale);
  const bool auto_c = scale && protection.param_text(nn::StageKind::scale, "c") == "auto";
  const bool per_model = scale && protection.param_text(nn::StageKind::scale, "per") == "model";
  float model_c = std::numeric_limits<float>::infinity();
  for (const auto i : network.topological_order()) {
    const auto& layer = network.layer(i);
    if (!layer.has_weights()) continue;
    const auto it = dtype.layer_overrides.find(layer.name);
    const nn::Encoding enc = it != dtype.layer_overrides.end() ? it->second : dtype.encoding;
    for (const std::string role : {"kernel", "bias"}) {
      const auto& values = layer.params.at(role).values;
      StoredTensor t;
      t.layer = i;
      t.role = role;
      t.encoding = enc;
      t.elements = values.size();
      if (scale) {
        t.weight_scale =
            auto_c ? nn::auto_scale_factor(enc, values)
                   : static_cast<float>(protection.param_number(nn::StageKind::scale, "c_value"));
        model_c = std::min(model_c, t.weight_scale);
      }
      if (enc.kind == nn::EncodingKind::int8_sym) {
        std::vector<float> scaled(values);
        for (auto& v : scaled) v *= t.weight_scale;
        t.int8_scale = nn::int8_sym_scale(scaled);
      }
      const std::string name = layer.name + "/" + role;
      t.segment = plan.segments.size();
      plan.segments.push_back({name, values.size(), static_cast<std::uint32_t>(enc.bits())});
      if (enc.kind == nn::EncodingKind::int8_sym && dtype.scale_in_memory) {
        t.scale_segment = plan.segments.size();
        plan.segments.push_back({name + "/scale", 1, 32});
      }
      const std::size_t per_word = static_cast<std::size_t>(64 / enc.bits());
      if (protection.has(nn::StageKind::secded)) {
        t.check = CheckKind::secded;
        t.group_elements = per_word;
        t.zero_uncorrectable = protection.param_text(nn::StageKind::secded, "policy") == "zero";
        t.check_segment = plan.segments.size();
        plan.segments.push_back({name + "/ecc", t.groups(), 8});
      } else if (protection.has(nn::StageKind::parity_zero)) {
        const bool per_weight =
            protection.param_text(nn::StageKind::parity_zero, "granularity") == "weight";
        t.check = per_weight ? CheckKind::parity_weight : CheckKind::parity_word;
        t.group_elements = per_weight ? 1 : per_word;
        t.check_segment = plan.segments.size();
        plan.segments.push_back({name + "/parity", bytes_of(t.groups()), 8});
      }
      if (layer_drop &&
          std::find(detachable.begin(), detachable.end(), layer.name) != detachable.end()) {
        // Chunks hold whole decode groups, so a CRC sees what the code corrected.
        const auto chunk =
            static_cast<std::size_t>(protection.params.integer("layer_drop.chunk_weights"));
        t.crc_chunk = (chunk + t.group_elements - 1) / t.group_elements * t.group_elements;
        t.crc_segment = plan.segments.size();
        plan.segments.push_back({name + "/crc", t.crc_chunks(), 32});
      }
      t.clamp = protection.has(nn::StageKind::clamp);
      if (role == "kernel") t.transform = saf;
      plan.tensors.push_back(t);
    }
  }
  if (per_model) {
    for (auto& t : plan.tensors) t.weight_scale = model_c;
  }
  return plan;
}

std::uint64_t load_bits(std::span<const std::uint8_t> bytes, std::size_t first_byte,
                        std::size_t count) {
  std::uint64_t v = 0;
  for (std::size_t b = 0; b < count && first_byte + b < bytes.size(); ++b) {
    v |= static_cast<std::uint64_t>(bytes[first_byte + b]) << (8 * b);
  }
  return v;
}

}  // namespace

const nn::WeightTransform* saf_transform(const nn::Network& network,
                                         const nn::ProtectionSpec& protection) {
  if (!protection.has(nn::StageKind::saf)) return nullptr;
  std::string f = protection.param_text(nn::StageKind::saf, "f");
  if (f == "auto") {
    if (network.weight_transform == "none") {
      throw InputError(fmt::format(
          "protection '{}': saf with f = auto needs a model trained with a weight transform "
          "(training.weight_transform); '{}' has none (set protection.saf.f)",
          protection.name, network.name));
    }
    f = network.weight_transform;
  }
  return nn::find_weight_transform(f);
}

StoredImage::StoredImage(const nn::Network& network, const nn::ProtectionSpec& protection,
                         const DTypeSpec& dtype, memory::PlacementPolicy policy,
                         const memory::AddressMapping& mapping)
    : label_(dtype.label()), protection_(protection.name), placement_([&] {
        auto plan = plan_segments(network, protection, dtype);
        tensors_ = std::move(plan.tensors);
        return memory::Placement(std::move(plan.segments), policy, mapping);
      }()) {
  bytes_.assign(bytes_of(placement_.extent_bits()), 0);
  tensor_of_segment_.assign(placement_.segments().size(), SIZE_MAX);
  for (std::size_t ti = 0; ti < tensors_.size(); ++ti) {
    auto& st = tensors_[ti];
    const auto& values = network.layer(st.layer).params.at(st.role).values;
    std::vector<float> scaled(values);
    for (auto& v : scaled) v *= st.weight_scale;
    const std::size_t offset = placement_.first_bit(st.segment) / 8;
    const std::size_t data_bytes = values.size() * st.encoding.bytes();
    nn::encode_words(st.encoding, scaled, st.int8_scale,
                     std::span<std::uint8_t>(bytes_).subspan(offset, data_bytes));
    tensor_of_segment_[st.segment] = ti;
    if (st.scale_segment != SIZE_MAX) {
      const std::size_t at = placement_.first_bit(st.scale_segment) / 8;
      const auto bits = std::bit_cast<std::uint32_t>(st.int8_scale);
      for (std::size_t b = 0; b < 4; ++b)
        bytes_[at + b] = static_cast<std::uint8_t>(bits >> (8 * b));
      tensor_of_segment_[st.scale_segment] = ti;
    }
    if (st.check_segment != SIZE_MAX) {
      tensor_of_segment_[st.check_segment] = ti;
      const std::size_t check_at = placement_.first_bit(st.check_segment) / 8;
      const std::size_t group_bytes = st.group_elements * st.encoding.bytes();
      for (std::size_t g = 0; g < st.groups(); ++g) {
        // A partial last group reads as if padded with zero bits.
        const std::size_t bytes = std::min(group_bytes, data_bytes - g * group_bytes);
        const std::uint64_t data = load_bits(bytes_, offset + g * group_bytes, bytes);
        if (st.check == CheckKind::secded) {
          bytes_[check_at + g] = nn::secded_check(data);
        } else if (nn::parity_of(data)) {
          bytes_[check_at + g / 8] =
              static_cast<std::uint8_t>(bytes_[check_at + g / 8] | (1u << (g % 8)));
        }
      }
    }
    if (st.crc_segment != SIZE_MAX) {
      tensor_of_segment_[st.crc_segment] = ti;
      const std::size_t at = placement_.first_bit(st.crc_segment) / 8;
      for (std::size_t c = 0; c < st.crc_chunks(); ++c) {
        const std::uint32_t crc = chunk_crc(st, c, bytes_).value();  // golden words decode
        for (std::size_t b = 0; b < 4; ++b)
          bytes_[at + 4 * c + b] = static_cast<std::uint8_t>(crc >> (8 * b));
      }
    }
    weights_ += st.elements;
  }
  // Clamp bounds are the fault-free decoded range of the stored values (before saf's f),
  // kept outside fault-prone memory.
  golden_values_.resize(tensors_.size());
  for (std::size_t ti = 0; ti < tensors_.size(); ++ti) {
    auto& st = tensors_[ti];
    const bool clamp = st.clamp;
    const auto* transform = st.transform;
    st.clamp = false;
    st.transform = nullptr;
    golden_values_[ti].resize(st.elements);
    for (std::size_t g = 0; g < st.groups(); ++g) decode_group(ti, g, bytes_, golden_values_[ti]);
    if (clamp && !golden_values_[ti].empty()) {
      const auto [lo, hi] =
          std::minmax_element(golden_values_[ti].begin(), golden_values_[ti].end());
      st.clamp_min = *lo;
      st.clamp_max = *hi;
    }
    st.clamp = clamp;
    st.transform = transform;
    for (std::size_t g = 0; g < st.groups(); ++g) decode_group(ti, g, bytes_, golden_values_[ti]);
  }
}

int StoredImage::max_word_bits() const {
  int bits = 0;
  for (const auto& s : placement_.segments()) bits = std::max(bits, static_cast<int>(s.word_bits));
  return bits;
}

double StoredImage::bits_per_weight() const {
  std::uint64_t bits = 0;
  for (const auto& s : placement_.segments()) bits += s.words * s.word_bits;
  return weights_ ? static_cast<double>(bits) / static_cast<double>(weights_) : 0.0;
}

GroupRange StoredImage::groups_of(std::size_t segment, std::uint64_t word) const {
  const std::size_t t = tensor_of_segment_[segment];
  if (t == SIZE_MAX) return {};
  const auto& st = tensors_[t];
  if (segment == st.scale_segment) return {t, 0, st.groups()};  // the scale decodes every weight
  if (segment == st.crc_segment) return {};                     // only checked, never decoded
  if (segment == st.check_segment) {
    if (st.check == CheckKind::secded) return {t, word, word + 1};
    return {t, word * 8,
            std::min<std::size_t>(word * 8 + 8, st.groups())};  // 8 parity bits per byte
  }
  return {t, word / st.group_elements, word / st.group_elements + 1};
}

GroupRange StoredImage::chunks_of(std::size_t segment, std::uint64_t word) const {
  const std::size_t t = tensor_of_segment_[segment];
  if (t == SIZE_MAX) return {};
  const auto& st = tensors_[t];
  if (st.crc_segment == SIZE_MAX) return {};
  if (segment == st.crc_segment) return {t, word, word + 1};
  if (segment == st.scale_segment) return {t, 0, st.crc_chunks()};
  if (segment == st.segment) return {t, word / st.crc_chunk, word / st.crc_chunk + 1};
  if (segment == st.check_segment && st.check == CheckKind::secded) {
    // Check byte `word` belongs to codeword `word`, whose correction the CRC sees.
    const std::size_t chunk = word * st.group_elements / st.crc_chunk;
    return {t, chunk, chunk + 1};
  }
  return {};  // parity bits do not change the data words the CRC covers
}

bool StoredImage::has_crc() const {
  return std::any_of(tensors_.begin(), tensors_.end(),
                     [](const StoredTensor& t) { return t.crc_segment != SIZE_MAX; });
}

std::optional<std::uint32_t> StoredImage::chunk_crc(const StoredTensor& st, std::size_t chunk,
                                                    std::span<const std::uint8_t> image) const {
  const std::size_t word_bytes = st.encoding.bytes();
  const std::size_t first = chunk * st.crc_chunk;
  const std::size_t last = std::min(first + st.crc_chunk, st.elements);
  auto data = data_bytes(st, image).subspan(first * word_bytes, (last - first) * word_bytes);
  std::vector<std::uint8_t> corrected;
  if (st.check == CheckKind::secded) {
    // The CRC covers the words as SEC-DED delivers them; an uncorrectable word fails the chunk.
    const std::size_t check_at = placement_.first_bit(st.check_segment) / 8;
    const std::size_t group_bytes = st.group_elements * word_bytes;
    corrected.assign(data.begin(), data.end());
    for (std::size_t at = 0; at < corrected.size(); at += group_bytes) {
      const std::size_t bytes = std::min(group_bytes, corrected.size() - at);
      const std::size_t group = first / st.group_elements + at / group_bytes;
      const auto r = nn::secded_decode(load_bits(corrected, at, bytes), image[check_at + group]);
      if (r.status == nn::SecdedStatus::uncorrectable) return std::nullopt;
      for (std::size_t b = 0; b < bytes; ++b)
        corrected[at + b] = static_cast<std::uint8_t>(r.data >> (8 * b));
    }
    data = corrected;
  }
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, data.data(), static_cast<uInt>(data.size()));
  if (st.scale_segment != SIZE_MAX) {
    crc = crc32(crc, image.data() + placement_.first_bit(st.scale_segment) / 8, 4);
  }
  return static_cast<std::uint32_t>(crc);
}

bool StoredImage::chunk_intact(std::size_t t, std::size_t chunk,
                               std::span<const std::uint8_t> image) const {
  const auto& st = tensors_[t];
  const std::size_t at = placement_.first_bit(st.crc_segment) / 8 + 4 * chunk;
  const auto crc = chunk_crc(st, chunk, image);
  return crc && *crc == static_cast<std::uint32_t>(load_bits(image, at, 4));
}

float StoredImage::int8_scale_in(const StoredTensor& st,
                                 std::span<const std::uint8_t> image) const {
  if (st.scale_segment == SIZE_MAX) return st.int8_scale;
  const std::size_t at = placement_.first_bit(st.scale_segment) / 8;
  return std::bit_cast<float>(static_cast<std::uint32_t>(load_bits(image, at, 4)));
}

std::span<const std::uint8_t> StoredImage::data_bytes(const StoredTensor& st,
                                                      std::span<const std::uint8_t> image) const {
  return image.subspan(placement_.first_bit(st.segment) / 8, st.elements * st.encoding.bytes());
}

std::size_t StoredImage::decode_group(std::size_t t, std::size_t group,
                                      std::span<const std::uint8_t> image,
                                      std::span<float> values) const {
  const auto& st = tensors_[t];
  const auto data = data_bytes(st, image);
  const std::size_t first = group * st.group_elements;
  const std::size_t last = std::min(first + st.group_elements, st.elements);
  const std::size_t word_bytes = st.encoding.bytes();
  const float int8_scale = int8_scale_in(st, image);
  std::size_t detections = 0;

  // Bytes to decode the group's words from: the stored ones, or a corrected copy.
  std::uint8_t corrected[8] = {};
  std::span<const std::uint8_t> words =
      data.subspan(first * word_bytes, (last - first) * word_bytes);
  bool zero = false;
  if (st.check != CheckKind::none) {
    const std::size_t check_at = placement_.first_bit(st.check_segment) / 8;
    const std::uint64_t bits = load_bits(words, 0, words.size());
    if (st.check == CheckKind::secded) {
      const auto r = nn::secded_decode(bits, image[check_at + group]);
      if (r.status == nn::SecdedStatus::uncorrectable) {
        ++detections;
        zero = st.zero_uncorrectable;
      } else {
        for (std::size_t b = 0; b < words.size(); ++b)
          corrected[b] = static_cast<std::uint8_t>(r.data >> (8 * b));
        words = std::span<const std::uint8_t>(corrected, words.size());
      }
    } else {
      const int stored = (image[check_at + group / 8] >> (group % 8)) & 1;
      if (nn::parity_of(bits) != stored) {
        ++detections;
        zero = true;
      }
    }
  }
  for (std::size_t e = first; e < last; ++e) {
    float v =
        zero ? 0.0f : nn::decode_word(st.encoding, words, e - first, int8_scale) / st.weight_scale;
    if (st.clamp)
      v = std::isnan(v) ? std::clamp(0.0f, st.clamp_min, st.clamp_max)
                        : std::clamp(v, st.clamp_min, st.clamp_max);
    if (st.transform != nullptr) v = st.transform->apply(v);
    values[e] = v;
  }
  return detections;
}

}  // namespace weightfault::sim

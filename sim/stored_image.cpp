#include "sim/stored_image.h"

#include <bit>
#include <cstring>

namespace weightfault::sim {
namespace {

struct Plan {
  std::vector<memory::Segment> segments;
  std::vector<StoredTensor> tensors;
};

Plan plan_segments(const nn::Network& network, const DTypeSpec& dtype) {
  Plan plan;
  for (const auto i : network.topological_order()) {
    const auto& layer = network.layer(i);
    if (!layer.has_weights()) continue;
    const auto override_it = dtype.layer_overrides.find(layer.name);
    const nn::Encoding enc =
        override_it != dtype.layer_overrides.end() ? override_it->second : dtype.encoding;
    for (const std::string role : {"kernel", "bias"}) {
      const auto& values = layer.params.at(role).values;
      StoredTensor t;
      t.layer = i;
      t.role = role;
      t.encoding = enc;
      t.elements = values.size();
      if (enc.kind == nn::EncodingKind::int8_sym) t.scale = nn::int8_sym_scale(values);
      t.segment = plan.segments.size();
      plan.segments.push_back(
          {layer.name + "/" + role, values.size(), static_cast<std::uint32_t>(enc.bits())});
      if (enc.kind == nn::EncodingKind::int8_sym && dtype.scale_in_memory) {
        t.scale_segment = plan.segments.size();
        plan.segments.push_back({layer.name + "/" + role + "/scale", 1, 32});
      }
      plan.tensors.push_back(t);
    }
  }
  return plan;
}

}  // namespace

StoredImage::StoredImage(const nn::Network& network, const DTypeSpec& dtype,
                         memory::PlacementPolicy policy, const memory::AddressMapping& mapping)
    : label_(dtype.label()), placement_([&] {
        auto plan = plan_segments(network, dtype);
        tensors_ = std::move(plan.tensors);
        return memory::Placement(std::move(plan.segments), policy, mapping);
      }()) {
  bytes_.assign((placement_.extent_bits() + 7) / 8, 0);
  tensor_of_segment_.assign(placement_.segments().size(), SIZE_MAX);
  for (std::size_t t = 0; t < tensors_.size(); ++t) {
    const auto& st = tensors_[t];
    const auto& layer = network.layer(st.layer);
    const auto& values = layer.params.at(st.role).values;
    const std::size_t offset = placement_.first_bit(st.segment) / 8;
    nn::encode_words(
        st.encoding, values, st.scale,
        std::span<std::uint8_t>(bytes_).subspan(offset, values.size() * st.encoding.bytes()));
    tensor_of_segment_[st.segment] = t;
    if (st.scale_segment != SIZE_MAX) {
      const std::size_t at = placement_.first_bit(st.scale_segment) / 8;
      const auto bits = std::bit_cast<std::uint32_t>(st.scale);
      for (int b = 0; b < 4; ++b)
        bytes_[at + static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(bits >> (8 * b));
      tensor_of_segment_[st.scale_segment] = t;
    }
  }
  golden_values_.resize(tensors_.size());
  for (std::size_t t = 0; t < tensors_.size(); ++t) {
    golden_values_[t].resize(tensors_[t].elements);
    for (std::size_t e = 0; e < tensors_[t].elements; ++e)
      golden_values_[t][e] = decode(t, e, bytes_);
  }
}

int StoredImage::max_word_bits() const {
  int bits = 0;
  for (const auto& s : placement_.segments()) bits = std::max(bits, static_cast<int>(s.word_bits));
  return bits;
}

std::span<const std::uint8_t> StoredImage::words(std::size_t t,
                                                 std::span<const std::uint8_t> image) const {
  const auto& st = tensors_[t];
  return image.subspan(placement_.first_bit(st.segment) / 8, st.elements * st.encoding.bytes());
}

float StoredImage::scale_in(std::size_t t, std::span<const std::uint8_t> image) const {
  const auto& st = tensors_[t];
  if (st.scale_segment == SIZE_MAX) return st.scale;
  const std::size_t at = placement_.first_bit(st.scale_segment) / 8;
  std::uint32_t bits = 0;
  for (int b = 0; b < 4; ++b)
    bits |= static_cast<std::uint32_t>(image[at + static_cast<std::size_t>(b)]) << (8 * b);
  return std::bit_cast<float>(bits);
}

float StoredImage::decode(std::size_t t, std::size_t element,
                          std::span<const std::uint8_t> image) const {
  return nn::decode_word(tensors_[t].encoding, words(t, image), element, scale_in(t, image));
}

}  // namespace weightfault::sim

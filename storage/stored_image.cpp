#include "storage/stored_image.h"

#include <algorithm>
#include <bit>

namespace weightfault::storage {

std::uint64_t load_bits(std::span<const std::uint8_t> bytes, std::uint64_t first_bit, int count) {
  std::uint64_t v = 0;
  if (first_bit % 8 == 0 && count % 8 == 0) {
    const std::size_t first = first_bit / 8;
    for (int b = 0; b < count / 8 && first + static_cast<std::size_t>(b) < bytes.size(); ++b)
      v |= static_cast<std::uint64_t>(bytes[first + static_cast<std::size_t>(b)]) << (8 * b);
    return v;
  }
  for (int b = 0; b < count; ++b) {
    const std::uint64_t at = first_bit + static_cast<std::uint64_t>(b);
    if (at / 8 >= bytes.size()) break;
    v |= static_cast<std::uint64_t>((bytes[at / 8] >> (at % 8)) & 1u) << b;
  }
  return v;
}

void store_bits(std::span<std::uint8_t> bytes, std::uint64_t first_bit, int count,
                std::uint64_t value) {
  for (int b = 0; b < count; ++b) {
    const std::uint64_t at = first_bit + static_cast<std::uint64_t>(b);
    const auto mask = static_cast<std::uint8_t>(1u << (at % 8));
    bytes[at / 8] = static_cast<std::uint8_t>(((value >> b) & 1u) ? (bytes[at / 8] | mask)
                                                                  : (bytes[at / 8] & ~mask));
  }
}

namespace {
// Word k of a group's data bits (words of `word_bits` packed from bit 0).
std::uint64_t word_in_group(std::uint64_t bits, std::size_t k, int word_bits) {
  return word_bits == 64 ? bits
                         : (bits >> (static_cast<int>(k) * word_bits)) & ((1ull << word_bits) - 1);
}
}  // namespace

std::pair<std::size_t, std::size_t> StoredTensor::group_bounds(std::size_t group) const {
  const std::size_t first = group * group_elements;
  return {first, std::min(first + group_elements, elements)};
}

StoredImage::StoredImage(std::span<const TensorToStore> tensors, const ModelFacts& model,
                         const ProtectionSpec& protection, const DTypeSpec& dtype,
                         memory::PlacementPolicy policy, const memory::AddressMapping& mapping)
    : label_(dtype.label()), protection_(protection.name), placement_([&] {
        std::vector<memory::Segment> segments;
        plan(tensors, model, protection, dtype, mapping.geometry(), segments);
        return memory::Placement(std::move(segments), policy, mapping);
      }()) {
  bytes_.assign((placement_.image_bits() + 7) / 8, 0);
  encode(tensors);
  decode_golden();
}

void StoredImage::plan(std::span<const TensorToStore> tensors, const ModelFacts& model,
                       const ProtectionSpec& protection, const DTypeSpec& dtype,
                       const memory::Geometry& geometry, std::vector<memory::Segment>& segments) {
  const auto own = [&](std::size_t t, SegmentRole role, const TensorStage* stage) {
    segment_owner_.resize(segments.size());
    segment_owner_.back() = {t, role, stage};
  };
  std::vector<std::vector<TensorStage*>> bound(protection.stages.size());
  std::vector<ParamValues> params;  // each stage's, without its prefix
  for (const auto* info : protection.stages) params.push_back(protection.stage_params(*info));
  for (const auto& in : tensors) {
    const std::size_t t = tensors_.size();
    auto& st = tensors_.emplace_back();
    st.name = in.name;
    st.owner = in.owner;
    st.role = in.role;
    const auto it = dtype.owner_overrides.find(in.owner);
    st.dtype = it != dtype.owner_overrides.end() ? it->second : dtype.dtype;
    st.elements = in.values.size();
    st.detachable = in.detachable;
    st.segment = segments.size();
    segments.push_back({in.name, in.values.size(), static_cast<std::uint32_t>(st.dtype.bits())});
    own(t, SegmentRole::data, nullptr);
    if (st.dtype.has_tensor_scale() && dtype.scale_in_memory) {
      st.scale_segment = segments.size();
      segments.push_back({in.name + "/scale", 1, 32});
      own(t, SegmentRole::tensor_scale, nullptr);
    }
    const TensorPlan plan{model, protection.name, st, in.values, segments, geometry};
    for (std::size_t s = 0; s < protection.stages.size(); ++s) {
      const auto& info = *protection.stages[s];
      auto stage = info.bind(plan, params[s]);
      if (!stage) continue;
      if (stage->segment != SIZE_MAX)
        own(t, stage->is_code() ? SegmentRole::code : SegmentRole::own, stage.get());
      if (stage->is_code()) st.code = stage.get();
      if (stage->check_chunks() > 0) st.check = stage.get();
      bound[s].push_back(stage.get());
      st.stages.push_back(std::move(stage));
    }
    weights_ += st.elements;
  }
  for (std::size_t s = 0; s < protection.stages.size(); ++s) {
    const auto& info = *protection.stages[s];
    if (info.finish) info.finish(bound[s], params[s], model, protection.name);
  }
}

void StoredImage::encode(std::span<const TensorToStore> tensors) {
  for (std::size_t t = 0; t < tensors_.size(); ++t) {
    auto& st = tensors_[t];
    std::vector<float> stored(tensors[t].values.begin(), tensors[t].values.end());
    for (const auto& stage : st.stages) {
      for (auto& v : stored) v = stage->before_encode(v);
    }
    st.dtype_scale = tensor_scale(st.dtype, stored);
    const auto data = std::span<std::uint8_t>(bytes_).subspan(
        first_byte(st.segment), packed_bytes(st.elements, st.dtype.bits()));
    encode_words(st.dtype, stored, st.dtype_scale, data);
    if (st.scale_segment != SIZE_MAX)
      store_bits(bytes_, placement_.first_bit(st.scale_segment), 32,
                 std::bit_cast<std::uint32_t>(st.dtype_scale));
    // In chain order: a check after a code sees the words the code delivers.
    for (const auto& stage : st.stages) stage->write_golden(*this, t, bytes_);
  }
}

void StoredImage::decode_golden() {
  golden_values_.resize(tensors_.size());
  for (std::size_t t = 0; t < tensors_.size(); ++t) {
    auto& st = tensors_[t];
    auto& values = golden_values_[t];
    values.resize(st.elements);
    const float scale = tensor_scale_in(st, bytes_);
    for (std::size_t g = 0; g < st.groups(); ++g) {
      const auto [first, last] = st.group_bounds(g);
      const std::uint64_t bits = read_group(t, g, bytes_).bits;
      const int wb = st.dtype.bits();
      for (std::size_t e = first; e < last; ++e) {
        values[e] =
            st.dtype.traits->decode(word_in_group(bits, e - first, wb), st.dtype.param, scale);
      }
    }
    // Each stage calibrates on the fault-free values that reach it (clamp's bounds).
    for (auto& stage : st.stages) {
      stage->calibrate(values);
      for (auto& v : values) v = stage->after_decode(v);
    }
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

bool StoredImage::scrubs() const {
  return std::any_of(tensors_.begin(), tensors_.end(),
                     [](const StoredTensor& t) { return t.code != nullptr && t.code->corrects(); });
}

bool StoredImage::has_chunk_checks() const {
  return std::any_of(tensors_.begin(), tensors_.end(),
                     [](const StoredTensor& t) { return t.check != nullptr; });
}

GroupRange StoredImage::groups_of(std::size_t segment, std::uint64_t word) const {
  const auto& owner = segment_owner_[segment];
  if (owner.tensor == SIZE_MAX) return {};
  const auto& st = tensors_[owner.tensor];
  switch (owner.role) {
    case SegmentRole::data:
      return {owner.tensor, word / st.group_elements, word / st.group_elements + 1};
    case SegmentRole::tensor_scale:
      return {owner.tensor, 0, st.groups()};  // the scale decodes every weight
    case SegmentRole::code:
    case SegmentRole::own:
      return owner.stage->groups_of_word(owner.tensor, word);
    case SegmentRole::other:
      break;
  }
  return {};
}

GroupRange StoredImage::chunks_of(std::size_t segment, std::uint64_t word) const {
  const auto& owner = segment_owner_[segment];
  if (owner.tensor == SIZE_MAX) return {};
  const auto& st = tensors_[owner.tensor];
  if (st.check == nullptr) return {};
  const SegmentRole role =
      owner.role == SegmentRole::own && owner.stage != st.check ? SegmentRole::other : owner.role;
  return st.check->chunks_of(owner.tensor, role, word);
}

bool StoredImage::chunk_intact(std::size_t t, std::size_t chunk,
                               std::span<const std::uint8_t> image) const {
  const auto& st = tensors_[t];
  return st.check == nullptr || st.check->chunk_intact(*this, t, chunk, image);
}

float StoredImage::tensor_scale_in(const StoredTensor& st,
                                   std::span<const std::uint8_t> image) const {
  if (st.scale_segment == SIZE_MAX) return st.dtype_scale;
  return std::bit_cast<float>(
      static_cast<std::uint32_t>(load_bits(image, placement_.first_bit(st.scale_segment), 32)));
}

std::uint64_t StoredImage::raw_group_bits(const StoredTensor& st, std::size_t group,
                                          std::span<const std::uint8_t> image) const {
  const auto [first, last] = st.group_bounds(group);
  const int wb = st.dtype.bits();
  return load_bits(image, placement_.first_bit(st.segment) + first * static_cast<std::size_t>(wb),
                   static_cast<int>(last - first) * wb);
}

GroupRead StoredImage::read_group(std::size_t t, std::size_t group,
                                  std::span<const std::uint8_t> image) const {
  const auto& st = tensors_[t];
  const std::uint64_t raw = raw_group_bits(st, group, image);
  if (st.code == nullptr) return {raw, ReadStatus::ok, false};
  return st.code->read_group(*this, t, group, raw, image);
}

std::size_t StoredImage::decode_group(std::size_t t, std::size_t group,
                                      std::span<const std::uint8_t> image, std::span<float> values,
                                      GroupRead* read_out) const {
  const auto& st = tensors_[t];
  const auto [first, last] = st.group_bounds(group);
  const GroupRead read = read_group(t, group, image);
  if (read_out != nullptr) *read_out = read;
  const float scale = tensor_scale_in(st, image);
  const int wb = st.dtype.bits();
  for (std::size_t e = first; e < last; ++e) {
    float v = 0.0f;
    if (!read.zero) {
      v = st.dtype.traits->decode(word_in_group(read.bits, e - first, wb), st.dtype.param, scale);
    }
    for (const auto& stage : st.stages) v = stage->after_decode(v);
    values[e] = v;
  }
  return read.status == ReadStatus::detected ? 1 : 0;
}

std::vector<std::uint64_t> StoredImage::codeword_bits(std::size_t t, std::size_t group) const {
  const auto& st = tensors_[t];
  std::vector<std::uint64_t> bits;
  const auto [first, last] = st.group_bounds(group);
  const auto word_bits = static_cast<std::uint32_t>(st.dtype.bits());
  for (std::size_t e = first; e < last; ++e) {
    for (std::uint32_t b = 0; b < word_bits; ++b)
      bits.push_back(placement_.memory_bit(placement_.image_bit(st.segment, e, b)));
  }
  if (st.code != nullptr) {
    const auto [word, count] = st.code->check_word_of(group);
    for (std::uint32_t b = 0; b < count; ++b)
      bits.push_back(placement_.memory_bit(placement_.image_bit(st.code->segment, word, b)));
  }
  return bits;
}

}  // namespace weightfault::storage

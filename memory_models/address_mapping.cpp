#include "memory_models/address_mapping.h"

#include <fmt/format.h>

#include "common/input_error.h"

namespace weightfault::memory {

std::string_view to_string(Field field) {
  switch (field) {
    case Field::channel:
      return "channel";
    case Field::rank:
      return "rank";
    case Field::bank:
      return "bank";
    case Field::row:
      return "row";
    case Field::column:
      return "column";
    case Field::bit:
      return "bit";
  }
  return "?";
}

std::uint64_t Geometry::size(Field field) const {
  switch (field) {
    case Field::channel:
      return channels;
    case Field::rank:
      return ranks;
    case Field::bank:
      return banks;
    case Field::row:
      return rows;
    case Field::column:
      return columns;
    case Field::bit:
      return bus_width();
  }
  return 0;
}

AddressMapping::AddressMapping(const Geometry& geometry, const std::string& scheme)
    : geometry_(geometry), scheme_(scheme) {
  const auto bad = [&](const std::string& why) {
    return InputError(fmt::format(
        "address mapping '{}': {}; expected the five tokens Ch, Ra, Ba, Ro, Co once each, most "
        "significant first (e.g. RoBaRaCoCh, ChRaBaRoCo)",
        scheme, why));
  };
  if (scheme.size() != 10) throw bad("wrong length");
  std::array<bool, kFieldCount> seen{};
  for (std::size_t k = 0; k < 5; ++k) {
    const std::string token = scheme.substr(2 * k, 2);
    Field f;
    if (token == "Ch")
      f = Field::channel;
    else if (token == "Ra")
      f = Field::rank;
    else if (token == "Ba")
      f = Field::bank;
    else if (token == "Ro")
      f = Field::row;
    else if (token == "Co")
      f = Field::column;
    else
      throw bad(fmt::format("unknown token '{}'", token));
    if (seen[static_cast<std::size_t>(f)])
      throw bad(fmt::format("token '{}' appears twice", token));
    seen[static_cast<std::size_t>(f)] = true;
    order_[k] = f;
  }
  std::uint64_t stride = 1;
  for (std::size_t k = 5; k-- > 0;) {
    stride_[static_cast<std::size_t>(order_[k])] = stride;
    stride *= geometry_.size(order_[k]);
  }
}

PhysicalAddress AddressMapping::to_physical(std::uint64_t linear_bit) const {
  PhysicalAddress a;
  const std::uint64_t bus = geometry_.bus_width();
  a.set(Field::bit, linear_bit % bus);
  std::uint64_t word = linear_bit / bus;
  for (std::size_t k = 5; k-- > 0;) {
    const Field f = order_[k];
    a.set(f, word % geometry_.size(f));
    word /= geometry_.size(f);
  }
  return a;
}

std::uint64_t AddressMapping::to_linear(const PhysicalAddress& address) const {
  std::uint64_t word = 0;
  for (const Field f : order_) word += address.get(f) * stride_[static_cast<std::size_t>(f)];
  return word * geometry_.bus_width() + address.get(Field::bit);
}

std::uint64_t AddressMapping::word_stride(Field field) const {
  return stride_[static_cast<std::size_t>(field)];
}

std::uint64_t AddressMapping::row_alignment_bits() const {
  return word_stride(Field::column) * geometry_.columns * geometry_.bus_width();
}

}  // namespace weightfault::memory

// Template part of fault_map.h.
#pragma once

namespace weightfault::memory {
namespace detail {

template <typename F>
void enumerate_level(const FaultRecord& r, const AddressMapping& m, std::uint64_t extent_bits,
                     std::size_t level, std::uint64_t word_base, F& f) {
  const std::uint64_t bus = m.geometry().bus_width();
  if (level == m.order().size()) {
    const auto emit = [&](std::uint64_t bit) {
      const std::uint64_t linear = word_base * bus + bit;
      if (linear < extent_bits) f(linear);
    };
    if (r.is_wild(Field::bit)) {
      // A fault lives in one device: "any bit" means any bit of the chip that owns address.bit.
      const std::uint64_t width = m.geometry().device_width;
      const std::uint64_t first = r.address.get(Field::bit) / width * width;
      for (std::uint64_t b = first; b < first + width && word_base * bus + b < extent_bits; ++b)
        emit(b);
    } else {
      emit(r.address.get(Field::bit));
    }
    return;
  }
  const Field field = m.order()[level];
  const std::uint64_t stride = m.word_stride(field);
  if (!r.is_wild(field)) {
    const std::uint64_t base = word_base + r.address.get(field) * stride;
    if (base * bus < extent_bits) enumerate_level(r, m, extent_bits, level + 1, base, f);
    return;
  }
  for (std::uint64_t v = 0; v < m.geometry().size(field); ++v) {
    const std::uint64_t base = word_base + v * stride;
    if (base * bus >= extent_bits) break;  // larger values only go further
    enumerate_level(r, m, extent_bits, level + 1, base, f);
  }
}

}  // namespace detail

template <typename F>
void for_each_matching_bit(const FaultRecord& record, const AddressMapping& mapping,
                           std::uint64_t extent_bits, F&& f) {
  detail::enumerate_level(record, mapping, extent_bits, 0, 0, f);
}

}  // namespace weightfault::memory

// An allocator for the large, long-lived buffers of recorded activations (GBs): backed by
// 2 MiB pages where the kernel offers them (Linux madvise(MADV_HUGEPAGE)), so filling a
// buffer takes one page fault per 2 MiB instead of one per 4 KiB -- the faults were most
// of a campaign's set-up (docs/performance.md). Small buffers use the default allocator.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace weightfault {

template <class T>
struct LargeBufferAllocator {
  using value_type = T;
  static constexpr std::size_t kPageBytes = std::size_t{2} << 20;

  LargeBufferAllocator() = default;
  template <class U>
  explicit LargeBufferAllocator(const LargeBufferAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kPageBytes) return std::allocator<T>{}.allocate(n);
    const std::size_t rounded = (bytes + kPageBytes - 1) / kPageBytes * kPageBytes;
    void* p = std::aligned_alloc(kPageBytes, rounded);
    if (p == nullptr) throw std::bad_alloc{};
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    madvise(p, rounded, MADV_HUGEPAGE);  // advice only: ignored where unsupported
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) < kPageBytes)
      std::allocator<T>{}.deallocate(p, n);
    else
      std::free(p);
  }
  template <class U>
  bool operator==(const LargeBufferAllocator<U>&) const noexcept {
    return true;
  }
};

template <class T>
using LargeBuffer = std::vector<T, LargeBufferAllocator<T>>;

}  // namespace weightfault

// What every fuzz target shares: the input as a file (the readers take paths),
// the rule that bad input may only ever end in an InputError, and a small
// consumer of the input's bytes for targets that decode it as edits.
//
// A target is `extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t)`:
// built with clang's -fsanitize=fuzzer it is a libFuzzer program (scripts/fuzz.sh);
// built with replay_main.cpp it replays saved inputs as a test (fuzz/regressions/).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/input_error.h"

namespace weightfault::fuzz {

// A per-process scratch path (libFuzzer may run several jobs in one directory).
inline std::filesystem::path scratch_path(const std::string& suffix) {
  return std::filesystem::temp_directory_path() /
         ("weightfault_fuzz_" + std::to_string(::getpid()) + "_" + suffix);
}

inline std::filesystem::path write_input(const std::uint8_t* data, std::size_t size,
                                         const std::string& suffix) {
  const auto path = scratch_path(suffix);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

// Runs `read`; an InputError is the expected answer to bad input. Anything else
// escapes: libFuzzer reports it as a crash (uncaught exception -> abort).
template <typename Read>
void expect_clean_failure(Read&& read) {
  try {
    read();
  } catch (const InputError&) {
  }
}

// Decodes the input as a sequence of choices (structure-aware targets).
class ByteSource {
 public:
  ByteSource(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  // A value in [lo, hi]; 0-filled when the input runs out.
  std::uint64_t in_range(std::uint64_t lo, std::uint64_t hi) {
    std::uint64_t v = 0;
    for (std::uint64_t span = hi - lo; span > 0; span >>= 8) v = (v << 8) | byte();
    return hi == lo ? lo : lo + v % (hi - lo + 1);
  }
  std::vector<std::uint8_t> bytes(std::size_t n) {
    std::vector<std::uint8_t> out(n, 0);
    for (auto& b : out) b = byte();
    return out;
  }
  std::string text(std::size_t max_length) {
    const auto n = in_range(0, max_length);
    const auto raw = bytes(n);
    return {raw.begin(), raw.end()};
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

}  // namespace weightfault::fuzz

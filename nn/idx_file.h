// Reader for the IDX format of MNIST and Fashion-MNIST (plain or gzip-compressed).
//
// IDX: a big-endian header of magic bytes {0, 0, type, rank} followed by `rank`
// 32-bit dimension sizes and the data in row-major order. Only type 0x08
// (unsigned byte) is used by the datasets we read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace weightfault::nn {

struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> values;  // row-major, product(dims) entries
};

// Reads an unsigned-byte IDX file of the given rank (3 for images, 1 for labels).
// gzip is detected from the content, not the name. Throws InputError naming the
// file for a missing file, wrong magic, wrong rank or truncated data.
IdxArray read_idx_u8(const std::filesystem::path& path, std::uint32_t expected_rank);

}  // namespace weightfault::nn

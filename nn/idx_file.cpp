#include "nn/idx_file.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>

#include "common/input_error.h"

namespace weightfault::nn {
namespace {

constexpr std::uint8_t kTypeUnsignedByte = 0x08;
// Guards against absurd headers (a corrupt file must not allocate terabytes).
constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 34;

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

// Reads exactly `size` bytes; returns how many were read (gzread reads plain
// files transparently, so one path serves both). A broken gzip stream is an
// InputError of its own: it is not a short IDX file.
std::size_t read_bytes(gzFile f, void* out, std::size_t size, const std::string& name) {
  std::size_t done = 0;
  auto* bytes = static_cast<unsigned char*>(out);
  while (done < size) {
    const auto chunk = static_cast<unsigned>(std::min<std::size_t>(size - done, 1u << 30));
    const int got = gzread(f, bytes + done, chunk);
    if (got < 0) {
      int code = 0;
      std::string why = gzerror(f, &code);  // "<path>: <what>"
      if (why.starts_with(name + ": ")) why.erase(0, name.size() + 2);
      throw InputError(fmt::format("{}: corrupt gzip data (zlib: {})", name, why));
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

}  // namespace

IdxArray read_idx_u8(const std::filesystem::path& path, std::uint32_t expected_rank) {
  const std::string name = path.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw InputError(fmt::format("{}: IDX file not found", name));
  }
  GzHandle file(gzopen(name.c_str(), "rb"));
  if (!file) throw InputError(fmt::format("{}: cannot open IDX file", name));

  std::array<std::uint8_t, 4> magic{};
  if (read_bytes(file.get(), magic.data(), magic.size(), name) != magic.size()) {
    throw InputError(fmt::format("{}: truncated IDX header (fewer than 4 bytes)", name));
  }
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != kTypeUnsignedByte ||
      magic[3] != expected_rank) {
    throw InputError(
        fmt::format("{}: wrong IDX magic {:02x} {:02x} {:02x} {:02x}; expected 00 00 08 {:02x} "
                    "(unsigned bytes, rank {})",
                    name, magic[0], magic[1], magic[2], magic[3], expected_rank, expected_rank));
  }
  IdxArray out;
  std::uint64_t count = 1;
  for (std::uint32_t d = 0; d < expected_rank; ++d) {
    std::array<std::uint8_t, 4> be{};
    if (read_bytes(file.get(), be.data(), be.size(), name) != be.size()) {
      throw InputError(fmt::format("{}: truncated IDX header (dimension {})", name, d));
    }
    const std::uint32_t size = (std::uint32_t{be[0]} << 24) | (std::uint32_t{be[1]} << 16) |
                               (std::uint32_t{be[2]} << 8) | std::uint32_t{be[3]};
    out.dims.push_back(size);
    count *= size;
    if (count > kMaxElements) {
      throw InputError(fmt::format("{}: IDX header declares an implausible size", name));
    }
  }
  // Grown as the data arrives: a header that declares more than the file holds is a
  // truncated file, not a reason to allocate what it declares.
  constexpr std::size_t kChunk = std::size_t{1} << 24;
  std::size_t got = 0;
  while (got < count) {
    const std::size_t want = std::min<std::size_t>(count - got, kChunk);
    out.values.resize(got + want);
    const std::size_t read = read_bytes(file.get(), out.values.data() + got, want, name);
    got += read;
    if (read != want) {
      throw InputError(fmt::format("{}: truncated IDX data: header declares {} bytes, file has {}",
                                   name, count, got));
    }
  }
  return out;
}

}  // namespace weightfault::nn

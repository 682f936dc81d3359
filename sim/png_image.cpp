#include "sim/png_image.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>

#include "common/input_error.h"

namespace weightfault::sim {
namespace {

// 3x5 glyphs, rows top to bottom, 3 bits each (4 = left column).
const std::map<char, std::array<std::uint8_t, 5>>& font() {
  static const std::map<char, std::array<std::uint8_t, 5>> glyphs{
      {'0', {7, 5, 5, 5, 7}}, {'1', {2, 6, 2, 2, 7}}, {'2', {7, 1, 7, 4, 7}},
      {'3', {7, 1, 7, 1, 7}}, {'4', {5, 5, 7, 1, 1}}, {'5', {7, 4, 7, 1, 7}},
      {'6', {7, 4, 7, 5, 7}}, {'7', {7, 1, 2, 2, 2}}, {'8', {7, 5, 7, 5, 7}},
      {'9', {7, 5, 7, 1, 7}}, {'A', {2, 5, 7, 5, 5}}, {'B', {6, 5, 6, 5, 6}},
      {'C', {3, 4, 4, 4, 3}}, {'D', {6, 5, 5, 5, 6}}, {'E', {7, 4, 6, 4, 7}},
      {'F', {7, 4, 6, 4, 4}}, {'G', {3, 4, 5, 5, 3}}, {'H', {5, 5, 7, 5, 5}},
      {'I', {7, 2, 2, 2, 7}}, {'J', {1, 1, 1, 5, 2}}, {'K', {5, 5, 6, 5, 5}},
      {'L', {4, 4, 4, 4, 7}}, {'M', {5, 7, 7, 5, 5}}, {'N', {6, 5, 5, 5, 5}},
      {'O', {2, 5, 5, 5, 2}}, {'P', {6, 5, 6, 4, 4}}, {'Q', {2, 5, 5, 6, 3}},
      {'R', {6, 5, 6, 5, 5}}, {'S', {3, 4, 2, 1, 6}}, {'T', {7, 2, 2, 2, 2}},
      {'U', {5, 5, 5, 5, 7}}, {'V', {5, 5, 5, 5, 2}}, {'W', {5, 5, 7, 7, 5}},
      {'X', {5, 5, 2, 5, 5}}, {'Y', {5, 5, 2, 2, 2}}, {'Z', {7, 1, 2, 4, 7}},
      {' ', {0, 0, 0, 0, 0}}, {'.', {0, 0, 0, 0, 2}}, {',', {0, 0, 0, 2, 4}},
      {':', {0, 2, 0, 2, 0}}, {'-', {0, 0, 7, 0, 0}}, {'+', {0, 2, 7, 2, 0}},
      {'=', {0, 7, 0, 7, 0}}, {'/', {1, 1, 2, 4, 4}}, {'(', {1, 2, 2, 2, 1}},
      {')', {4, 2, 2, 2, 4}}, {'%', {5, 1, 2, 4, 5}}, {'_', {0, 0, 0, 0, 7}},
  };
  return glyphs;
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

void chunk(std::vector<std::uint8_t>& out, const char* type,
           const std::vector<std::uint8_t>& data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  const auto crc = crc32(0, out.data() + start, static_cast<uInt>(out.size() - start));
  put_u32(out, static_cast<std::uint32_t>(crc));
}

}  // namespace

PngImage::PngImage(int width, int height, Rgb background)
    : width_(width), height_(height), pixels_(static_cast<std::size_t>(width * height) * 3) {
  for (std::size_t i = 0; i < pixels_.size(); i += 3)
    std::copy(background.begin(), background.end(),
              pixels_.begin() + static_cast<std::ptrdiff_t>(i));
}

void PngImage::set(int x, int y, Rgb color) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  const auto at = (static_cast<std::size_t>(y) * static_cast<std::size_t>(width_) +
                   static_cast<std::size_t>(x)) *
                  3;
  std::copy(color.begin(), color.end(), pixels_.begin() + static_cast<std::ptrdiff_t>(at));
}

void PngImage::fill(int x0, int y0, int x1, int y1, Rgb color) {
  for (int y = std::max(0, y0); y <= std::min(height_ - 1, y1); ++y) {
    for (int x = std::max(0, x0); x <= std::min(width_ - 1, x1); ++x) set(x, y, color);
  }
}

int PngImage::text(int x, int y, const std::string& s, Rgb color, int scale) {
  for (const char raw : s) {
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
    const auto it = font().find(c);
    if (it != font().end()) {
      for (int row = 0; row < 5; ++row) {
        for (int col = 0; col < 3; ++col) {
          if ((it->second[static_cast<std::size_t>(row)] >> (2 - col)) & 1)
            fill(x + col * scale, y + row * scale, x + col * scale + scale - 1,
                 y + row * scale + scale - 1, color);
        }
      }
    }
    x += 4 * scale;
  }
  return x;
}

void PngImage::write(const std::filesystem::path& path) const {
  std::vector<std::uint8_t> raw;  // each row: filter byte 0, then RGB
  raw.reserve(pixels_.size() + static_cast<std::size_t>(height_));
  const auto row_bytes = static_cast<std::size_t>(width_) * 3;
  for (int y = 0; y < height_; ++y) {
    raw.push_back(0);
    const auto begin =
        pixels_.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(y) * row_bytes);
    raw.insert(raw.end(), begin, begin + static_cast<std::ptrdiff_t>(row_bytes));
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<std::uint8_t> packed(packed_size);
  if (compress2(packed.data(), &packed_size, raw.data(), static_cast<uLong>(raw.size()), 6) != Z_OK)
    throw InputError(fmt::format("{}: could not compress the image", path.string()));
  packed.resize(packed_size);
  std::vector<std::uint8_t> png{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<std::uint8_t> header;
  put_u32(header, static_cast<std::uint32_t>(width_));
  put_u32(header, static_cast<std::uint32_t>(height_));
  header.insert(header.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, no filter, no interlace
  chunk(png, "IHDR", header);
  chunk(png, "IDAT", packed);
  chunk(png, "IEND", {});
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  if (!out) throw InputError(fmt::format("{}: cannot write the image", path.string()));
}

}  // namespace weightfault::sim

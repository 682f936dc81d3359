// A small RGB raster with a PNG writer (zlib deflate; no image library is
// needed) and a 3x5 pixel font for labels, for `weightfault faultmap`.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace weightfault::sim {

using Rgb = std::array<std::uint8_t, 3>;

class PngImage {
 public:
  PngImage(int width, int height, Rgb background);
  int width() const { return width_; }
  int height() const { return height_; }
  void set(int x, int y, Rgb color);                     // ignores pixels outside the image
  void fill(int x0, int y0, int x1, int y1, Rgb color);  // [x0, x1] x [y0, y1], clipped
  // Text in the 3x5 font (upper-case letters, digits, space and . , : - + = / ( ) % _ x),
  // each pixel drawn as scale x scale; returns the x after the text.
  int text(int x, int y, const std::string& s, Rgb color, int scale = 2);
  static int text_width(const std::string& s, int scale = 2) {
    return static_cast<int>(s.size()) * 4 * scale;
  }
  // Throws InputError when the file cannot be written.
  void write(const std::filesystem::path& path) const;

 private:
  int width_, height_;
  std::vector<std::uint8_t> pixels_;  // RGB rows
};

}  // namespace weightfault::sim

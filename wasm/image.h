// dermcam pixel buffers.
//
// Layout: 8-bit channels, interleaved, row-major, top-left origin, no row padding.
//   RgbImage:  pixels.size() == width * height * 3, order R G B.
//   RgbaImage: pixels.size() == width * height * 4, order R G B A (straight alpha, as canvas ImageData).
// An empty image has width == height == 0 and no pixels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dermcam {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;

  const uint8_t* pixel(int x, int y) const { return &pixels[(static_cast<size_t>(y) * width + x) * 3]; }
};

struct RgbaImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
};

}  // namespace dermcam

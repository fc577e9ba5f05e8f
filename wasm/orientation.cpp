#include "orientation.h"

#include <cstddef>

namespace dermcam {

RgbImage apply_exif_orientation(RgbImage image, int orientation) {
  if (orientation < 2 || orientation > 8 || image.pixels.empty()) return image;
  const ptrdiff_t w = image.width;
  const ptrdiff_t h = image.height;
  // Output pixel (x, y) reads source pixel index base + x * step_x + y * step_y.
  ptrdiff_t base = 0;
  ptrdiff_t step_x = 1;
  ptrdiff_t step_y = w;
  switch (orientation) {
    case 2:
      base = w - 1;
      step_x = -1;
      step_y = w;
      break;
    case 3:
      base = (h - 1) * w + w - 1;
      step_x = -1;
      step_y = -w;
      break;
    case 4:
      base = (h - 1) * w;
      step_x = 1;
      step_y = -w;
      break;
    case 5:
      base = 0;
      step_x = w;
      step_y = 1;
      break;
    case 6:
      base = (h - 1) * w;
      step_x = -w;
      step_y = 1;
      break;
    case 7:
      base = (h - 1) * w + w - 1;
      step_x = -w;
      step_y = -1;
      break;
    case 8:
      base = w - 1;
      step_x = w;
      step_y = -1;
      break;
    default:
      break;
  }
  RgbImage out;
  out.width = orientation >= 5 ? image.height : image.width;
  out.height = orientation >= 5 ? image.width : image.height;
  out.pixels.resize(image.pixels.size());
  const uint8_t* src = image.pixels.data();
  uint8_t* dst = out.pixels.data();
  for (ptrdiff_t y = 0; y < out.height; ++y) {
    ptrdiff_t index = base + y * step_y;
    for (ptrdiff_t x = 0; x < out.width; ++x, index += step_x, dst += 3) {
      dst[0] = src[index * 3];
      dst[1] = src[index * 3 + 1];
      dst[2] = src[index * 3 + 2];
    }
  }
  return out;
}

}  // namespace dermcam

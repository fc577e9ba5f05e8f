// Encoding an RGBA image to file bytes (stb_image_write; alpha is dropped for JPEG).
//   encode_png:  zlib level 8, for the overlay download and the CLI.
//   encode_jpeg: stb's baseline encoder (4:2:0 chroma below quality 90), `quality` 1-100 as libjpeg's: the quality
//                fit's JPEG degradation (scripts/quality-fit.mjs), what a phone's or a messenger's compression does.
// Both fail with kInvalidArgument for an empty image or one whose pixel count does not match its size; encode_jpeg
// also for a quality outside 1-100.
#pragma once

#include <cstdint>
#include <vector>

#include "error.h"
#include "image.h"

namespace dermcam {

Result<std::vector<uint8_t>> encode_png(const RgbaImage& image);

Result<std::vector<uint8_t>> encode_jpeg(const RgbaImage& image, int quality);

}  // namespace dermcam

// PNG encoding of an RGBA image (stb_image_write, zlib level 8), for the overlay download and the CLI.
// Fails with kInvalidArgument for an empty image or one whose pixel count does not match its size.
#pragma once

#include <cstdint>
#include <vector>

#include "error.h"
#include "image.h"

namespace dermcam {

Result<std::vector<uint8_t>> encode_png(const RgbaImage& image);

}  // namespace dermcam

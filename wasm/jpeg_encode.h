// JPEG encoding of an RGBA image (stb_image_write's baseline encoder, 4:2:0 chroma below quality 90), for the
// quality fit's JPEG degradation (scripts/quality-fit.mjs): what a phone's or a messenger's compression does to a
// photo. Alpha is dropped. `quality` 1-100 (stb's scale, as libjpeg's).
// Fails with kInvalidArgument for an empty image, one whose pixel count does not match its size, or a quality
// outside 1-100.
#pragma once

#include <cstdint>
#include <vector>

#include "error.h"
#include "image.h"

namespace dermcam {

Result<std::vector<uint8_t>> encode_jpeg(const RgbaImage& image, int quality);

}  // namespace dermcam

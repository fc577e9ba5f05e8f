// Image format detection from the first bytes of a file (its magic number), independent of any file name.
//
// dermcam decodes JPEG, PNG and BMP. The other formats listed here are recognised only so that the user is
// told "GIF is not supported" instead of "not an image". Detection reads at most the first 64 bytes and,
// for TGA, the 26-byte footer; it never reads past `size`.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dermcam {

enum class ImageFormat {
  kUnknown,
  // Decoded.
  kJpeg,
  kPng,
  kBmp,
  // Recognised and refused.
  kGif,
  kWebp,
  kHeif,  // HEIC/HEIF and AVIF (ISO-BMFF 'ftyp' with an image brand)
  kTiff,
  kPsd,
  kHdr,
  kPnm,
  kTga,
  kJpegXl,
  kIco,
};

ImageFormat detect_image_format(const uint8_t* data, size_t size);

// Short human name, e.g. "JPEG", "HEIC/AVIF".
const char* image_format_name(ImageFormat format);

bool is_decodable(ImageFormat format);

}  // namespace dermcam

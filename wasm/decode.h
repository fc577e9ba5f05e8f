// Decoding JPEG, PNG and BMP bytes into an upright 8-bit RGB image.
//
// Formats: JPEG (baseline and progressive; grey, YCbCr, CMYK/YCCK with Adobe APP14), PNG (1/2/4/8/16-bit;
// grey, grey+alpha, RGB, RGBA, palette with tRNS; Adam7 interlaced), BMP (1-32 bit, RLE). Everything else
// fails with ErrorCode::kUnsupportedFormat (a known format such as GIF or HEIC) or kUnrecognizedFormat.
//
// Conversion to RGB8, in this order:
//   - 16-bit samples are kept at 16 bits until the final rounding: v8 = round(v16 * 255 / 65535).
//   - alpha is composited over white in the file's own (sRGB-encoded) values, as a browser shows it:
//     c' = (c * a + max * (max - a)) / max, rounded once to 8 bits.
//   - grey is copied into R, G and B.
//   - the JPEG's EXIF orientation (see exif.h) is applied, so width/height are those of the upright image.
//     PNG and BMP carry no orientation here.
//
// Limits: width * height must not exceed DecodeOptions::max_pixels (default 50 million), checked from the
// header before any pixel memory is allocated; fails with kImageTooLarge. max_pixels must be in
// 1..kMaxPixelsLimit. Peak memory is about 8 bytes per pixel for 16-bit RGBA PNG, 7 for 8-bit images.
// Failure never aborts, never leaks, and leaves no global state behind other than stb's last-error string.
#pragma once

#include <cstddef>
#include <cstdint>

#include "error.h"
#include "format.h"
#include "image.h"

namespace dermcam {

constexpr uint64_t kDefaultMaxPixels = 50'000'000;
constexpr uint64_t kMaxPixelsLimit = 100'000'000;

struct DecodeOptions {
  uint64_t max_pixels = kDefaultMaxPixels;
  bool apply_exif_orientation = true;
};

struct DecodedImage {
  RgbImage image;  // upright (after EXIF orientation when applied)
  ImageFormat format = ImageFormat::kUnknown;
  int stored_width = 0;  // as stored in the file, before orientation
  int stored_height = 0;
  int exif_orientation = 1;  // 1..8 as found in the file (1 when absent); applied iff the option says so
  int bits_per_channel = 8;  // 8 or 16
  int channels = 3;          // in the file after palette expansion: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
};

Result<DecodedImage> decode_image(const uint8_t* data, size_t size, const DecodeOptions& options = {});

// Pixels another decoder already produced (the browser's, for WebP, AVIF and HEIC: it has applied the file's
// orientation): straight-alpha 8-bit RGBA, `width * height * 4` bytes, composited over white exactly as above.
// Fails with kInvalidArgument for a size that does not match or is not positive, kImageTooLarge past max_pixels.
Result<RgbImage> rgb_from_rgba(const uint8_t* rgba, size_t size, int width, int height,
                               const DecodeOptions& options = {});

}  // namespace dermcam

#include "decode.h"

#include <stb_image.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "decode_budget.h"
#include "exif.h"
#include "orientation.h"

namespace dermcam {
namespace {

struct StbFree {
  void operator()(void* p) const { stbi_image_free(p); }
};

// stb's peak for any supported image is below 16 bytes per pixel (16-bit RGBA: inflated data plus output).
constexpr uint64_t kBudgetPerPixel = 16;
constexpr uint64_t kBudgetSlack = 32ull << 20;

Error stb_error(ImageFormat format) {
  const char* reason = stbi_failure_reason();
  const std::string why = reason != nullptr ? reason : "unknown reason";
  const std::vector<ErrorParam> named{{"format", std::string(image_format_name(format))}};
  if (DecodeBudget::exceeded()) {
    return {ErrorCode::kCorruptImage,
            std::string("The ") + image_format_name(format) +
                " file asks for far more memory than its size needs; it is damaged or hostile.",
            named};
  }
  if (why == "outofmem") {
    return {ErrorCode::kOutOfMemory,
            std::string("Not enough memory to decode this ") + image_format_name(format) + " image."};
  }
  if (why == "too large") {
    return {ErrorCode::kImageTooLarge,
            std::string("This ") + image_format_name(format) + " image is too large to decode.",
            {{"pixels", 0.0}, {"limit", 0.0}}};
  }
  return {ErrorCode::kCorruptImage,
          std::string("The ") + image_format_name(format) + " file is damaged or incomplete and cannot be decoded (" +
              why + ").",
          named};
}

// One output channel value: (c * a + max * (max - a)) / max composites over white at the source depth,
// then one rounding to 8 bits: round(value * 255 / max).
inline uint8_t to_8bit_over_white(uint32_t c, uint32_t a, uint32_t max) {
  const uint64_t max2 = static_cast<uint64_t>(max) * max;
  const uint64_t composited = static_cast<uint64_t>(c) * a + static_cast<uint64_t>(max) * (max - a);  // / max2
  return static_cast<uint8_t>((composited * 255 + max2 / 2) / max2);
}

template <typename Sample>
void convert_to_rgb8(const Sample* src, size_t pixel_count, int channels, uint32_t max, uint8_t* dst) {
  const bool has_alpha = channels == 2 || channels == 4;
  const int color_channels = has_alpha ? channels - 1 : channels;
  for (size_t i = 0; i < pixel_count; ++i, src += channels, dst += 3) {
    const uint32_t alpha = has_alpha ? src[channels - 1] : max;
    for (int c = 0; c < 3; ++c) {
      const uint32_t value = src[color_channels == 1 ? 0 : c];
      if (!has_alpha && max == 255) {
        dst[c] = static_cast<uint8_t>(value);
      } else {
        dst[c] = to_8bit_over_white(value, alpha, max);
      }
    }
  }
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Width and height as the file's header states them, read without stb so that an absurd size is reported as
// too large (stb's own header check gives up with a generic message). False when the header is unreadable.
bool header_dimensions(ImageFormat format, const uint8_t* data, size_t size, uint64_t* width, uint64_t* height) {
  switch (format) {
    case ImageFormat::kPng:
      if (size < 24 || std::memcmp(data + 12, "IHDR", 4) != 0) return false;
      *width = be32(data + 16);
      *height = be32(data + 20);
      return true;
    case ImageFormat::kBmp: {
      if (size < 26) return false;
      const uint32_t header = data[14] | (data[15] << 8) | (data[16] << 16) | (uint32_t{data[17]} << 24);
      if (header == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit sizes
        *width = data[18] | (data[19] << 8);
        *height = data[20] | (data[21] << 8);
        return true;
      }
      const int32_t w =
          static_cast<int32_t>(data[18] | (data[19] << 8) | (data[20] << 16) | (uint32_t{data[21]} << 24));
      const int32_t h =
          static_cast<int32_t>(data[22] | (data[23] << 8) | (data[24] << 16) | (uint32_t{data[25]} << 24));
      *width = static_cast<uint64_t>(w < 0 ? -static_cast<int64_t>(w) : w);
      *height = static_cast<uint64_t>(h < 0 ? -static_cast<int64_t>(h) : h);  // negative: top-down rows
      return true;
    }
    case ImageFormat::kJpeg: {
      size_t pos = 2;
      while (pos + 4 <= size) {
        if (data[pos] != 0xFF) return false;
        const uint8_t marker = data[pos + 1];
        if (marker == 0xFF) {
          ++pos;
          continue;
        }
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
          pos += 2;
          continue;
        }
        if (marker == 0xDA || marker == 0xD9) return false;
        const size_t length = (static_cast<size_t>(data[pos + 2]) << 8) | data[pos + 3];
        const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (frame) {
          if (pos + 9 > size) return false;
          *height = (static_cast<uint64_t>(data[pos + 5]) << 8) | data[pos + 6];
          *width = (static_cast<uint64_t>(data[pos + 7]) << 8) | data[pos + 8];
          return true;
        }
        if (length < 2) return false;
        pos += 2 + length;
      }
      return false;
    }
    default:
      return false;
  }
}

Error too_large(uint64_t width, uint64_t height, uint64_t limit) {
  const uint64_t pixels = width * height;
  return Error{ErrorCode::kImageTooLarge,
               "The image is " + std::to_string(width) + " x " + std::to_string(height) + " pixels (" +
                   std::to_string(pixels / 1000000) + " MP); the limit is " + std::to_string(limit / 1000000) + " MP.",
               {{"pixels", static_cast<double>(pixels)}, {"limit", static_cast<double>(limit)}}};
}

}  // namespace

Result<DecodedImage> decode_image(const uint8_t* data, size_t size, const DecodeOptions& options) {
  if (options.max_pixels < 1 || options.max_pixels > kMaxPixelsLimit) {
    return Error{ErrorCode::kInvalidArgument,
                 "max_pixels must be between 1 and " + std::to_string(kMaxPixelsLimit) + "."};
  }
  if (data == nullptr || size == 0) return Error{ErrorCode::kEmptyInput, "The file is empty."};
  if (size > static_cast<size_t>(INT_MAX)) {
    return Error{ErrorCode::kImageTooLarge, "The file is larger than 2 GB.", {{"pixels", 0.0}, {"limit", 0.0}}};
  }

  DecodedImage out;
  out.format = detect_image_format(data, size);
  if (out.format == ImageFormat::kUnknown) {
    return Error{ErrorCode::kUnrecognizedFormat,
                 "This file is not a JPEG, PNG or BMP image (its contents match no image format)."};
  }
  if (!is_decodable(out.format)) {
    return Error{
        ErrorCode::kUnsupportedFormat,
        std::string(image_format_name(out.format)) + " images are not supported; please use a JPEG, PNG or BMP.",
        {{"format", std::string(image_format_name(out.format))}}};
  }

  uint64_t claimed_width = 0;
  uint64_t claimed_height = 0;
  if (header_dimensions(out.format, data, size, &claimed_width, &claimed_height)) {
    if (claimed_width == 0 || claimed_height == 0) {
      return Error{ErrorCode::kCorruptImage, "The image has a zero width or height."};
    }
    if (claimed_width * claimed_height > options.max_pixels) {
      return too_large(claimed_width, claimed_height, options.max_pixels);
    }
  }
  // Budget for stb's allocations: what the largest stated size can need, never more than the pixel limit's.
  const uint64_t budget_pixels = claimed_width && claimed_height
                                     ? std::min(claimed_width * claimed_height, options.max_pixels)
                                     : options.max_pixels;
  const DecodeBudget budget(
      static_cast<size_t>(std::min<uint64_t>(budget_pixels * kBudgetPerPixel + kBudgetSlack, SIZE_MAX)));
  const int length = static_cast<int>(size);
  int width = 0;
  int height = 0;
  int channels = 0;
  if (!stbi_info_from_memory(data, length, &width, &height, &channels)) return stb_error(out.format);
  if (width <= 0 || height <= 0) {
    return Error{ErrorCode::kCorruptImage, "The image has a zero width or height."};
  }
  const uint64_t pixel_count = static_cast<uint64_t>(width) * static_cast<uint64_t>(height);
  if (pixel_count > options.max_pixels) return too_large(width, height, options.max_pixels);

  const bool sixteen_bit = stbi_is_16_bit_from_memory(data, length) != 0;
  int decoded_w = 0;
  int decoded_h = 0;
  std::unique_ptr<void, StbFree> pixels(
      sixteen_bit ? static_cast<void*>(stbi_load_16_from_memory(data, length, &decoded_w, &decoded_h, &channels, 0))
                  : static_cast<void*>(stbi_load_from_memory(data, length, &decoded_w, &decoded_h, &channels, 0)));
  if (!pixels) return stb_error(out.format);
  if (decoded_w != width || decoded_h != height || channels < 1 || channels > 4) {
    return Error{ErrorCode::kCorruptImage, "The image header and its pixel data disagree."};
  }

  out.stored_width = width;
  out.stored_height = height;
  out.bits_per_channel = sixteen_bit ? 16 : 8;
  out.channels = channels;
  out.image.width = width;
  out.image.height = height;
  out.image.pixels.resize(static_cast<size_t>(pixel_count) * 3);
  if (sixteen_bit) {
    convert_to_rgb8(static_cast<const uint16_t*>(pixels.get()), pixel_count, channels, 65535, out.image.pixels.data());
  } else {
    convert_to_rgb8(static_cast<const uint8_t*>(pixels.get()), pixel_count, channels, 255, out.image.pixels.data());
  }
  pixels.reset();

  if (out.format == ImageFormat::kJpeg) out.exif_orientation = read_jpeg_exif_orientation(data, size);
  if (options.apply_exif_orientation) {
    out.image = apply_exif_orientation(std::move(out.image), out.exif_orientation);
  }
  return out;
}

Result<RgbImage> rgb_from_rgba(const uint8_t* rgba, size_t size, int width, int height, const DecodeOptions& options) {
  if (width < 1 || height < 1 || size != static_cast<size_t>(width) * static_cast<size_t>(height) * 4) {
    return Error{ErrorCode::kInvalidArgument,
                 "Decoded pixels must be width x height RGBA bytes (" + std::to_string(width) + " x " +
                     std::to_string(height) + " x 4 = " + std::to_string(static_cast<long long>(width) * height * 4) +
                     ", got " + std::to_string(size) + ")."};
  }
  if (static_cast<uint64_t>(width) * static_cast<uint64_t>(height) > options.max_pixels) {
    return too_large(static_cast<uint64_t>(width), static_cast<uint64_t>(height), options.max_pixels);
  }
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  convert_to_rgb8(rgba, static_cast<size_t>(width) * height, 4, 255, image.pixels.data());
  return image;
}

}  // namespace dermcam

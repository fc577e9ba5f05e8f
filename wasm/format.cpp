#include "format.h"

#include <cstring>

namespace dermcam {
namespace {

bool starts_with(const uint8_t* data, size_t size, const char* magic, size_t magic_size, size_t at = 0) {
  return size >= at + magic_size && std::memcmp(data + at, magic, magic_size) == 0;
}

bool is_heif_brand(const uint8_t* brand) {
  static const char* const kBrands[] = {"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "avif", "avis"};
  for (const char* b : kBrands) {
    if (std::memcmp(brand, b, 4) == 0) return true;
  }
  return false;
}

// TGA has no magic number: version 2 files end in a footer, older ones are recognised by a header whose
// fields are all in their legal ranges (the same test stb_image uses).
bool looks_like_tga(const uint8_t* data, size_t size) {
  static const char kFooter[] = "TRUEVISION-XFILE.";
  if (size >= 26 && std::memcmp(data + size - 18, kFooter, 17) == 0) return true;
  if (size < 18) return false;
  const uint8_t colormap_type = data[1];
  const uint8_t image_type = data[2];
  if (colormap_type > 1) return false;
  const bool type_ok = colormap_type == 1
                           ? (image_type == 1 || image_type == 9)
                           : (image_type == 2 || image_type == 3 || image_type == 10 || image_type == 11);
  if (!type_ok) return false;
  const int width = data[12] | (data[13] << 8);
  const int height = data[14] | (data[15] << 8);
  const uint8_t depth = data[16];
  const bool depth_ok = depth == 8 || depth == 15 || depth == 16 || depth == 24 || depth == 32;
  return width > 0 && height > 0 && depth_ok;
}

}  // namespace

ImageFormat detect_image_format(const uint8_t* data, size_t size) {
  if (data == nullptr || size == 0) return ImageFormat::kUnknown;
  if (starts_with(data, size, "\xFF\xD8\xFF", 3)) return ImageFormat::kJpeg;
  if (starts_with(data, size, "\x89PNG\r\n\x1A\n", 8)) return ImageFormat::kPng;
  if (starts_with(data, size, "BM", 2) && size >= 14) return ImageFormat::kBmp;
  if (starts_with(data, size, "GIF87a", 6) || starts_with(data, size, "GIF89a", 6)) return ImageFormat::kGif;
  if (starts_with(data, size, "RIFF", 4) && starts_with(data, size, "WEBP", 4, 8)) return ImageFormat::kWebp;
  if (starts_with(data, size, "ftyp", 4, 4) && size >= 12 && is_heif_brand(data + 8)) return ImageFormat::kHeif;
  if (starts_with(data, size, "II*\0", 4) || starts_with(data, size, "MM\0*", 4)) return ImageFormat::kTiff;
  if (starts_with(data, size, "8BPS", 4)) return ImageFormat::kPsd;
  if (starts_with(data, size, "#?RADIANCE", 10) || starts_with(data, size, "#?RGBE", 6)) return ImageFormat::kHdr;
  if (starts_with(data, size, "\xFF\x0A", 2) || starts_with(data, size, "\0\0\0\x0CJXL \x0D\x0A\x87\x0A", 12)) {
    return ImageFormat::kJpegXl;
  }
  if (starts_with(data, size, "\0\0\1\0", 4) && size >= 6 && (data[4] | data[5]) != 0) return ImageFormat::kIco;
  if (size >= 3 && data[0] == 'P' && data[1] >= '1' && data[1] <= '7' &&
      (data[2] == '\n' || data[2] == ' ' || data[2] == '\r' || data[2] == '\t')) {
    return ImageFormat::kPnm;
  }
  if (looks_like_tga(data, size)) return ImageFormat::kTga;
  return ImageFormat::kUnknown;
}

const char* image_format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kUnknown:
      return "unknown";
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kBmp:
      return "BMP";
    case ImageFormat::kGif:
      return "GIF";
    case ImageFormat::kWebp:
      return "WebP";
    case ImageFormat::kHeif:
      return "HEIC/AVIF";
    case ImageFormat::kTiff:
      return "TIFF";
    case ImageFormat::kPsd:
      return "PSD";
    case ImageFormat::kHdr:
      return "HDR";
    case ImageFormat::kPnm:
      return "PNM";
    case ImageFormat::kTga:
      return "TGA";
    case ImageFormat::kJpegXl:
      return "JPEG XL";
    case ImageFormat::kIco:
      return "ICO";
  }
  return "unknown";
}

bool is_decodable(ImageFormat format) {
  return format == ImageFormat::kJpeg || format == ImageFormat::kPng || format == ImageFormat::kBmp;
}

}  // namespace dermcam

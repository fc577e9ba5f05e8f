#include "image_encode.h"

#include <stb_image_write.h>

namespace dermcam {
namespace {

void append(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  const auto* bytes = static_cast<const uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

bool well_formed(const RgbaImage& image) {
  return image.width >= 1 && image.height >= 1 &&
         image.pixels.size() == static_cast<size_t>(image.width) * image.height * 4;
}

const Error kMalformed{ErrorCode::kInvalidArgument, "Cannot encode an empty image or one whose size does not match."};

}  // namespace

Result<std::vector<uint8_t>> encode_png(const RgbaImage& image) {
  if (!well_formed(image)) return kMalformed;
  std::vector<uint8_t> png;
  if (!stbi_write_png_to_func(append, &png, image.width, image.height, 4, image.pixels.data(), image.width * 4)) {
    return Error{ErrorCode::kOutOfMemory, "The PNG could not be encoded."};
  }
  return png;
}

Result<std::vector<uint8_t>> encode_jpeg(const RgbaImage& image, int quality) {
  if (!well_formed(image)) return kMalformed;
  if (quality < 1 || quality > 100)
    return Error{ErrorCode::kInvalidArgument, "The JPEG quality must be from 1 to 100."};
  std::vector<uint8_t> jpeg;
  if (!stbi_write_jpg_to_func(append, &jpeg, image.width, image.height, 4, image.pixels.data(), quality)) {
    return Error{ErrorCode::kOutOfMemory, "The JPEG could not be encoded."};
  }
  return jpeg;
}

}  // namespace dermcam

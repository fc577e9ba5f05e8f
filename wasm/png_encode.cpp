#include "png_encode.h"

#include <stb_image_write.h>

namespace dermcam {
namespace {

void append(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  const auto* bytes = static_cast<const uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

}  // namespace

Result<std::vector<uint8_t>> encode_png(const RgbaImage& image) {
  if (image.width < 1 || image.height < 1 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * 4) {
    return Error{ErrorCode::kInvalidArgument, "Cannot encode an empty image or one whose size does not match."};
  }
  std::vector<uint8_t> png;
  if (!stbi_write_png_to_func(append, &png, image.width, image.height, 4, image.pixels.data(), image.width * 4)) {
    return Error{ErrorCode::kOutOfMemory, "The PNG could not be encoded."};
  }
  return png;
}

}  // namespace dermcam

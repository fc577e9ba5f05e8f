#include "test_images.h"

#include <stb_image_write.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace dermcam::test {
namespace {

void append(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  const auto* bytes = static_cast<const uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

void put16(std::vector<uint8_t>& v, uint16_t x, bool le) {
  if (le) {
    v.push_back(x & 0xFF);
    v.push_back(x >> 8);
  } else {
    v.push_back(x >> 8);
    v.push_back(x & 0xFF);
  }
}

void put32(std::vector<uint8_t>& v, uint32_t x, bool le) {
  if (le) {
    put16(v, x & 0xFFFF, true);
    put16(v, x >> 16, true);
  } else {
    put16(v, x >> 16, false);
    put16(v, x & 0xFFFF, false);
  }
}

}  // namespace

uint8_t expected_over_white(uint32_t value, uint32_t alpha, uint32_t max) {
  const double m = max;
  const double composited = (static_cast<double>(value) * alpha + m * (m - alpha)) / m;
  return static_cast<uint8_t>(std::floor(composited * 255.0 / m + 0.5));
}

std::vector<uint8_t> read_fixture(const std::string& name) {
  const std::string path = std::string(DERMCAM_FIXTURES_DIR) + "/images/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

RgbImage quadrant_image(int width, int height) {
  RgbImage img;
  img.width = width;
  img.height = height;
  img.pixels.resize(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const bool right = x >= width / 2;
      const bool bottom = y >= height / 2;
      uint8_t rgb[3] = {255, 255, 255};
      if (!right && !bottom) rgb[1] = rgb[2] = 0;  // red
      if (right && !bottom) rgb[0] = rgb[2] = 0;   // green
      if (!right && bottom) rgb[0] = rgb[1] = 0;   // blue
      for (int c = 0; c < 3; ++c) img.pixels[(static_cast<size_t>(y) * width + x) * 3 + c] = rgb[c];
    }
  }
  return img;
}

RgbImage pattern_image(int width, int height, uint32_t seed) {
  RgbImage img;
  img.width = width;
  img.height = height;
  img.pixels.resize(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &img.pixels[(static_cast<size_t>(y) * width + x) * 3];
      const bool checker = x < width / 4 && y < height / 4 && ((x / 2 + y / 2) % 2 == 0);
      p[0] = static_cast<uint8_t>((x * 255) / std::max(1, width - 1));
      p[1] = static_cast<uint8_t>((y * 255) / std::max(1, height - 1));
      p[2] = checker ? 255 : static_cast<uint8_t>((x * 7 + y * 13 + seed * 31) % 200);
    }
  }
  return img;
}

std::vector<uint8_t> encode_png_channels(int width, int height, int channels, const std::vector<uint8_t>& pixels) {
  std::vector<uint8_t> out;
  if (!stbi_write_png_to_func(append, &out, width, height, channels, pixels.data(), width * channels)) {
    throw std::runtime_error("PNG encoding failed");
  }
  return out;
}

std::vector<uint8_t> encode_png(const RgbImage& image) {
  return encode_png_channels(image.width, image.height, 3, image.pixels);
}

std::vector<uint8_t> encode_jpeg(const RgbImage& image, int quality) {
  std::vector<uint8_t> out;
  if (!stbi_write_jpg_to_func(append, &out, image.width, image.height, 3, image.pixels.data(), quality)) {
    throw std::runtime_error("JPEG encoding failed");
  }
  return out;
}

std::vector<uint8_t> encode_bmp(const RgbImage& image) {
  std::vector<uint8_t> out;
  if (!stbi_write_bmp_to_func(append, &out, image.width, image.height, 3, image.pixels.data())) {
    throw std::runtime_error("BMP encoding failed");
  }
  return out;
}

std::vector<uint8_t> with_app1_tiff(const std::vector<uint8_t>& jpeg, const std::vector<uint8_t>& tiff) {
  std::vector<uint8_t> segment = {0xFF, 0xE1};
  put16(segment, static_cast<uint16_t>(2 + 6 + tiff.size()), false);
  const char exif[] = {'E', 'x', 'i', 'f', 0, 0};
  segment.insert(segment.end(), exif, exif + 6);
  segment.insert(segment.end(), tiff.begin(), tiff.end());
  std::vector<uint8_t> out;
  out.reserve(jpeg.size() + segment.size());
  out.push_back(jpeg[0]);
  out.push_back(jpeg[1]);
  out.insert(out.end(), segment.begin(), segment.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

std::vector<uint8_t> with_exif_orientation(const std::vector<uint8_t>& jpeg, int orientation, bool le) {
  std::vector<uint8_t> tiff;
  tiff.push_back(le ? 'I' : 'M');
  tiff.push_back(le ? 'I' : 'M');
  put16(tiff, 42, le);
  put32(tiff, 8, le);       // IFD0 right after the header
  put16(tiff, 2, le);       // two entries: a decoy tag first, then Orientation
  put16(tiff, 0x010F, le);  // Make, ASCII, count 4, inline "cam"
  put16(tiff, 2, le);
  put32(tiff, 4, le);
  tiff.insert(tiff.end(), {'c', 'a', 'm', 0});
  put16(tiff, 0x0112, le);
  put16(tiff, 3, le);  // SHORT
  put32(tiff, 1, le);
  put16(tiff, static_cast<uint16_t>(orientation), le);
  put16(tiff, 0, le);
  put32(tiff, 0, le);  // no next IFD
  return with_app1_tiff(jpeg, tiff);
}

}  // namespace dermcam::test

// Helpers shared by the native tests: known-pixel images, in-memory encoders, EXIF injection, fixtures.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image.h"

namespace dermcam::test {

// The formulas scripts/fixtures/make-test-fixtures.py uses for the committed PNG fixtures (13 x 11 pixels).
constexpr int kFixtureWidth = 13;
constexpr int kFixtureHeight = 11;
inline uint32_t sample8(int x, int y, int c) { return (x * 37 + y * 101 + c * 59 + 7) % 256; }
inline uint32_t sample16(int x, int y, int c) { return (x * 7919 + y * 104729 + c * 31337 + 12345) % 65536; }
inline uint32_t alpha8(int x, int y) { return (x * 53 + y * 29) % 256; }
inline uint32_t alpha16(int x, int y) { return (x * 40503 + y * 7717) % 65536; }

// Reference conversion, in double precision: composite over white at the source depth, round to 8 bits.
uint8_t expected_over_white(uint32_t value, uint32_t alpha, uint32_t max);

std::vector<uint8_t> read_fixture(const std::string& name);  // tests/fixtures/images/<name>

// An image whose four quadrants are red, green, blue and white (top-left, top-right, bottom-left,
// bottom-right): after any orientation the corners tell which way it was turned.
RgbImage quadrant_image(int width, int height);

// A smooth, non-symmetric test pattern (gradients plus a fine checker in the top-left quarter).
RgbImage pattern_image(int width, int height, uint32_t seed = 1);

std::vector<uint8_t> encode_png(const RgbImage& image);
std::vector<uint8_t> encode_png_channels(int width, int height, int channels, const std::vector<uint8_t>& pixels);
std::vector<uint8_t> encode_jpeg(const RgbImage& image, int quality = 95);
std::vector<uint8_t> encode_bmp(const RgbImage& image);

// Inserts an APP1 "Exif" segment carrying IFD0 tag 0x0112 = orientation right after the JPEG's SOI.
std::vector<uint8_t> with_exif_orientation(const std::vector<uint8_t>& jpeg, int orientation,
                                           bool little_endian = false);

// Builds an APP1 segment (marker included) from a raw TIFF payload, and inserts it after SOI.
std::vector<uint8_t> with_app1_tiff(const std::vector<uint8_t>& jpeg, const std::vector<uint8_t>& tiff);

}  // namespace dermcam::test

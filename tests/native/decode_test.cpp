#include "decode.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <string>

#include "image_encode.h"
#include "test_images.h"

namespace dermcam {
namespace {

using test::kFixtureHeight;
using test::kFixtureWidth;

DecodedImage decode_ok(const std::vector<uint8_t>& bytes, const DecodeOptions& options = {}) {
  auto result = decode_image(bytes.data(), bytes.size(), options);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? std::move(result).value() : DecodedImage{};
}

Error decode_error(const std::vector<uint8_t>& bytes, const DecodeOptions& options = {}) {
  auto result = decode_image(bytes.data(), bytes.size(), options);
  EXPECT_FALSE(result.ok());
  return result.ok() ? Error{} : result.error();
}

using PixelFn = std::function<std::array<int, 3>(int x, int y)>;

void expect_pixels(const DecodedImage& d, const PixelFn& expected) {
  ASSERT_EQ(d.image.width, kFixtureWidth);
  ASSERT_EQ(d.image.height, kFixtureHeight);
  int mismatches = 0;
  for (int y = 0; y < kFixtureHeight; ++y) {
    for (int x = 0; x < kFixtureWidth; ++x) {
      const auto want = expected(x, y);
      const uint8_t* got = d.image.pixel(x, y);
      for (int c = 0; c < 3; ++c) {
        if (got[c] != want[c] && ++mismatches < 5) {
          ADD_FAILURE() << "pixel (" << x << "," << y << ") channel " << c << ": got " << int(got[c]) << " want "
                        << want[c];
        }
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
}

int round16(uint32_t v) { return test::expected_over_white(v, 65535, 65535); }

TEST(DecodePngTest, Gray1BitExpandsToBlackAndWhite) {
  const auto d = decode_ok(test::read_fixture("gray1.png"));
  EXPECT_EQ(d.channels, 1);
  expect_pixels(d, [](int x, int y) {
    const int v = (x + y) % 2 ? 255 : 0;
    return std::array<int, 3>{v, v, v};
  });
}

TEST(DecodePngTest, Gray8IsPromotedToRgb) {
  const auto d = decode_ok(test::read_fixture("gray8.png"));
  EXPECT_EQ(d.bits_per_channel, 8);
  expect_pixels(d, [](int x, int y) {
    const int v = test::sample8(x, y, 0);
    return std::array<int, 3>{v, v, v};
  });
}

TEST(DecodePngTest, Gray16IsRoundedNotTruncated) {
  const auto d = decode_ok(test::read_fixture("gray16.png"));
  EXPECT_EQ(d.bits_per_channel, 16);
  expect_pixels(d, [](int x, int y) {
    const int v = round16(test::sample16(x, y, 0));
    return std::array<int, 3>{v, v, v};
  });
}

TEST(DecodePngTest, Gray16FixtureDistinguishesRoundingFromTruncation) {
  // The exact-value test above only proves rounding if some samples round differently from v >> 8
  // (stb's own 16-to-8 conversion). 25829 / 257 = 100.502 rounds to 101; 25829 >> 8 = 100.
  EXPECT_EQ(test::expected_over_white(25829, 65535, 65535), 101);
  int differing = 0;
  for (int y = 0; y < kFixtureHeight; ++y) {
    for (int x = 0; x < kFixtureWidth; ++x) {
      const uint32_t v = test::sample16(x, y, 0);
      differing += round16(v) != static_cast<int>(v >> 8);
    }
  }
  EXPECT_GT(differing, 10);
}

TEST(DecodePngTest, Rgb16) {
  expect_pixels(decode_ok(test::read_fixture("rgb16.png")), [](int x, int y) {
    return std::array<int, 3>{round16(test::sample16(x, y, 0)), round16(test::sample16(x, y, 1)),
                              round16(test::sample16(x, y, 2))};
  });
}

TEST(DecodePngTest, GrayAlpha8CompositedOverWhite) {
  const auto d = decode_ok(test::read_fixture("graya8.png"));
  EXPECT_EQ(d.channels, 2);
  expect_pixels(d, [](int x, int y) {
    const int v = test::expected_over_white(test::sample8(x, y, 0), test::alpha8(x, y), 255);
    return std::array<int, 3>{v, v, v};
  });
}

TEST(DecodePngTest, GrayAlpha16CompositedOverWhite) {
  expect_pixels(decode_ok(test::read_fixture("graya16.png")), [](int x, int y) {
    const int v = test::expected_over_white(test::sample16(x, y, 0), test::alpha16(x, y), 65535);
    return std::array<int, 3>{v, v, v};
  });
}

PixelFn rgba8_expected() {
  return [](int x, int y) {
    std::array<int, 3> v{};
    for (int c = 0; c < 3; ++c) v[c] = test::expected_over_white(test::sample8(x, y, c), test::alpha8(x, y), 255);
    return v;
  };
}

PixelFn rgba16_expected() {
  return [](int x, int y) {
    std::array<int, 3> v{};
    for (int c = 0; c < 3; ++c) v[c] = test::expected_over_white(test::sample16(x, y, c), test::alpha16(x, y), 65535);
    return v;
  };
}

TEST(DecodePngTest, Rgba8CompositedOverWhite) {
  const auto d = decode_ok(test::read_fixture("rgba8.png"));
  EXPECT_EQ(d.channels, 4);
  expect_pixels(d, rgba8_expected());
}

TEST(DecodePngTest, Rgba16CompositedOverWhite) {
  expect_pixels(decode_ok(test::read_fixture("rgba16.png")), rgba16_expected());
}

PixelFn palette_expected() {
  return [](int x, int y) {
    const int i = (x + 3 * y) % 16;
    const uint32_t a = (i * 17) % 256;
    return std::array<int, 3>{test::expected_over_white(i * 16, a, 255),
                              test::expected_over_white(255 - i * 16, a, 255),
                              test::expected_over_white((i * 97) % 256, a, 255)};
  };
}

TEST(DecodePngTest, PaletteWithTransparency) {
  expect_pixels(decode_ok(test::read_fixture("palette.png")), palette_expected());
}

TEST(DecodePngTest, Palette4Bit) { expect_pixels(decode_ok(test::read_fixture("palette4.png")), palette_expected()); }

TEST(DecodePngTest, Adam7Interlaced8Bit) {
  expect_pixels(decode_ok(test::read_fixture("rgb8_interlaced.png")), [](int x, int y) {
    return std::array<int, 3>{static_cast<int>(test::sample8(x, y, 0)), static_cast<int>(test::sample8(x, y, 1)),
                              static_cast<int>(test::sample8(x, y, 2))};
  });
}

TEST(DecodePngTest, Adam7Interlaced16BitWithAlpha) {
  expect_pixels(decode_ok(test::read_fixture("rgba16_interlaced.png")), rgba16_expected());
}

TEST(DecodePngTest, EightBitPngFromEncoderRoundTrips) {
  const RgbImage img = test::pattern_image(31, 17);
  const auto d = decode_ok(test::encode_png(img));
  EXPECT_EQ(d.format, ImageFormat::kPng);
  EXPECT_EQ(d.image.pixels, img.pixels);
}

// The blocks fixture: six flat colours, each read at its centre.
void expect_blocks(const DecodedImage& d, int tolerance, bool gray = false) {
  ASSERT_EQ(d.image.width, 64);
  ASSERT_EQ(d.image.height, 48);
  const int colors[6][3] = {{200, 30, 30}, {30, 160, 60}, {40, 60, 190}, {240, 240, 240}, {20, 20, 20}, {230, 200, 40}};
  for (int i = 0; i < 6; ++i) {
    const int cx = (i % 3) * 21 + 10;
    const int cy = (i / 3) * 24 + 12;
    const uint8_t* p = d.image.pixel(cx, cy);
    for (int c = 0; c < 3; ++c) {
      // Pillow's L = (299 R + 587 G + 114 B) / 1000.
      const int want = gray ? (299 * colors[i][0] + 587 * colors[i][1] + 114 * colors[i][2]) / 1000 : colors[i][c];
      EXPECT_NEAR(p[c], want, tolerance) << "block " << i << " channel " << c;
    }
  }
}

TEST(DecodeJpegTest, Baseline) {
  const auto d = decode_ok(test::read_fixture("blocks_baseline.jpg"));
  EXPECT_EQ(d.format, ImageFormat::kJpeg);
  EXPECT_EQ(d.channels, 3);
  expect_blocks(d, 4);
}

TEST(DecodeJpegTest, ProgressiveMatchesBaselineOfTheSameImage) {
  const auto baseline = decode_ok(test::read_fixture("blocks_baseline.jpg"));
  const auto progressive = decode_ok(test::read_fixture("blocks_progressive.jpg"));
  expect_blocks(progressive, 4);
  ASSERT_EQ(baseline.image.pixels.size(), progressive.image.pixels.size());
  int max_diff = 0;
  for (size_t i = 0; i < baseline.image.pixels.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(baseline.image.pixels[i] - progressive.image.pixels[i]));
  }
  EXPECT_LE(max_diff, 1);
}

TEST(DecodeJpegTest, GrayscaleIsPromotedToRgb) {
  const auto d = decode_ok(test::read_fixture("blocks_gray.jpg"));
  EXPECT_EQ(d.channels, 1);
  expect_blocks(d, 4, true);
}

TEST(DecodeJpegTest, AdobeCmyk) { expect_blocks(decode_ok(test::read_fixture("blocks_cmyk.jpg")), 6); }

TEST(DecodeJpegTest, RealPhoto) {
  const auto d = decode_ok(test::read_fixture("photo.jpg"));
  EXPECT_EQ(d.image.width, 451);
  EXPECT_EQ(d.image.height, 300);
  EXPECT_EQ(d.exif_orientation, 1);
}

TEST(DecodeBmpTest, TwentyFourBit) {
  const auto d = decode_ok(test::read_fixture("blocks24.bmp"));
  EXPECT_EQ(d.format, ImageFormat::kBmp);
  expect_blocks(d, 0);
}

TEST(DecodeBmpTest, PalettedEightBit) { expect_blocks(decode_ok(test::read_fixture("blocks8.bmp")), 0); }

TEST(DecodeBmpTest, EncoderRoundTrip) {
  const RgbImage img = test::pattern_image(9, 7);
  EXPECT_EQ(decode_ok(test::encode_bmp(img)).image.pixels, img.pixels);
}

TEST(DecodeErrorTest, EmptyInput) {
  EXPECT_EQ(decode_error({}).code, ErrorCode::kEmptyInput);
  EXPECT_EQ(decode_image(nullptr, 0).error().code, ErrorCode::kEmptyInput);
}

TEST(DecodeErrorTest, RefusedFormatsNameThemselves) {
  const std::pair<const char*, const char*> cases[] = {
      {"refused.gif", "GIF"},   {"refused.webp", "WebP"}, {"refused.heic", "HEIC"},
      {"refused.tiff", "TIFF"}, {"refused.psd", "PSD"},   {"refused.hdr", "HDR"},
      {"refused.ppm", "PNM"},   {"refused.tga", "TGA"},   {"refused.ico", "ICO"}};
  for (const auto& [file, name] : cases) {
    const Error e = decode_error(test::read_fixture(file));
    EXPECT_EQ(e.code, ErrorCode::kUnsupportedFormat) << file;
    EXPECT_NE(e.message.find(name), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("not supported"), std::string::npos) << e.message;
  }
}

TEST(DecodeErrorTest, NonImagesAreUnrecognized) {
  for (const char* file : {"not_image.txt.jpg", "not_image.html.jpg", "not_image.pdf.jpg", "not_image.svg.jpg"}) {
    const Error e = decode_error(test::read_fixture(file));
    EXPECT_EQ(e.code, ErrorCode::kUnrecognizedFormat) << file;
    EXPECT_NE(e.message.find("not a JPEG, PNG or BMP"), std::string::npos) << e.message;
  }
}

TEST(DecodeErrorTest, TruncatedFilesFailCleanlyOrDecodePartially) {
  for (const char* file :
       {"photo.jpg", "blocks_progressive.jpg", "rgba16_interlaced.png", "palette.png", "blocks24.bmp"}) {
    const auto bytes = test::read_fixture(file);
    for (size_t n = 1; n < bytes.size(); n += std::max<size_t>(1, bytes.size() / 97)) {
      auto result = decode_image(bytes.data(), n);
      if (result.ok()) {
        EXPECT_GT(result.value().image.width, 0);  // stb, like browsers, shows what a cut JPEG holds
      } else {
        const ErrorCode code = result.error().code;
        EXPECT_TRUE(code == ErrorCode::kCorruptImage || code == ErrorCode::kUnrecognizedFormat) << file << " at " << n;
        EXPECT_FALSE(result.error().message.empty());
      }
    }
  }
}

TEST(DecodeErrorTest, PixelLimitIsCheckedFromTheHeader) {
  const auto png = test::encode_png(test::pattern_image(100, 50));  // 5000 pixels
  DecodeOptions options;
  options.max_pixels = 4999;
  const Error e = decode_error(png, options);
  EXPECT_EQ(e.code, ErrorCode::kImageTooLarge);
  EXPECT_NE(e.message.find("100 x 50"), std::string::npos) << e.message;
  options.max_pixels = 5000;
  EXPECT_EQ(decode_ok(png, options).image.width, 100);
}

TEST(DecodeErrorTest, HeaderClaimingHugeDimensionsIsRefusedBeforeAllocating) {
  auto png = test::read_fixture("gray8.png");
  // IHDR width and height at bytes 16..23: claim 100000 x 100000 (the CRC no longer matches; the size check
  // must fire first).
  const uint8_t huge[8] = {0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0};
  std::copy(huge, huge + 8, png.begin() + 16);
  const Error e = decode_error(png);
  EXPECT_EQ(e.code, ErrorCode::kImageTooLarge) << e.message;
  EXPECT_NE(e.message.find("100000 x 100000"), std::string::npos) << e.message;
  ASSERT_EQ(e.params.size(), 2u);  // the page's sentence names the photo's size and the limit from these
  EXPECT_EQ(e.params[0].name, "pixels");
  EXPECT_EQ(e.params[0].number, 1e10);
  EXPECT_EQ(e.params[1].name, "limit");
  EXPECT_EQ(e.params[1].number, static_cast<double>(DecodeOptions{}.max_pixels));
}

TEST(DecodeErrorTest, ZeroWidthIsCorrupt) {
  auto png = test::read_fixture("gray8.png");
  std::fill(png.begin() + 16, png.begin() + 20, 0);
  EXPECT_EQ(decode_error(png).code, ErrorCode::kCorruptImage);
}

TEST(DecodeErrorTest, MaxPixelsOptionIsValidated) {
  const auto png = test::read_fixture("gray8.png");
  DecodeOptions options;
  options.max_pixels = 0;
  EXPECT_EQ(decode_error(png, options).code, ErrorCode::kInvalidArgument);
  options.max_pixels = kMaxPixelsLimit + 1;
  EXPECT_EQ(decode_error(png, options).code, ErrorCode::kInvalidArgument);
}

TEST(DecodeErrorTest, ErrorCodesHaveStableNames) {
  EXPECT_STREQ(error_code_name(ErrorCode::kUnsupportedFormat), "unsupported_format");
  EXPECT_STREQ(error_code_name(ErrorCode::kImageTooLarge), "image_too_large");
  EXPECT_STREQ(error_code_name(ErrorCode::kCorruptImage), "corrupt_image");
}

}  // namespace
// The core's own JPEG encoder (wasm/image_encode.h, for the quality fit's JPEG degradation): a smooth image comes
// back close at high quality and further at low quality; bad input is refused.
TEST(JpegEncode, RoundTripsThroughTheDecoderWithLossGrowingAsQualityFalls) {
  RgbaImage image;
  image.width = 96;
  image.height = 64;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      image.pixels.insert(image.pixels.end(), {static_cast<uint8_t>(x * 2), static_cast<uint8_t>(y * 3),
                                               static_cast<uint8_t>(128 + ((x / 8 + y / 8) % 2) * 60), 255});
    }
  }
  auto error_at = [&](int quality) {
    auto jpeg = encode_jpeg(image, quality);
    EXPECT_TRUE(jpeg.ok());
    const auto d = decode_ok(jpeg.value());
    EXPECT_EQ(d.format, ImageFormat::kJpeg);
    EXPECT_EQ(d.image.width, 96);
    EXPECT_EQ(d.image.height, 64);
    double sum = 0;
    for (size_t i = 0; i < d.image.pixels.size(); ++i)
      sum += std::abs(d.image.pixels[i] - image.pixels[i / 3 * 4 + i % 3]);
    return sum / d.image.pixels.size();
  };
  const double fine = error_at(95);
  const double coarse = error_at(5);
  EXPECT_LT(fine, 3.0);
  EXPECT_GT(coarse, 2 * fine);
  EXPECT_FALSE(encode_jpeg(image, 0).ok());
  EXPECT_FALSE(encode_jpeg(image, 101).ok());
  EXPECT_FALSE(encode_jpeg(RgbaImage{}, 90).ok());
}

}  // namespace dermcam

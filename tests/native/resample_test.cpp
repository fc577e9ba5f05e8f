#include "resample.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "decode.h"
#include "test_images.h"

namespace dermcam {
namespace {

Rect whole(const RgbImage& img) { return {0, 0, static_cast<double>(img.width), static_cast<double>(img.height)}; }

RgbImage resample_ok(const RgbImage& src, const Rect& region, int w, int h, ResampleFilter f) {
  auto r = resample(src, region, w, h, f);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : RgbImage{};
}

RgbImage decode_fixture(const char* name) {
  const auto bytes = test::read_fixture(name);
  return decode_image(bytes.data(), bytes.size()).value().image;
}

constexpr ResampleFilter kFilters[] = {ResampleFilter::kTriangle, ResampleFilter::kBox, ResampleFilter::kCubic};

TEST(ResampleTest, SameSizeIsIdentity) {
  const RgbImage img = test::pattern_image(37, 23);
  for (ResampleFilter f : kFilters) EXPECT_EQ(resample_ok(img, whole(img), 37, 23, f).pixels, img.pixels);
}

TEST(ResampleTest, ConstantImageStaysConstant) {
  RgbImage img;
  img.width = 301;
  img.height = 199;
  img.pixels.resize(static_cast<size_t>(img.width) * img.height * 3);
  for (size_t i = 0; i < img.pixels.size(); i += 3) {
    img.pixels[i] = 17;
    img.pixels[i + 1] = 130;
    img.pixels[i + 2] = 254;
  }
  for (ResampleFilter f : kFilters) {
    for (auto [w, h] : {std::pair{224, 224}, std::pair{13, 7}, std::pair{640, 480}}) {
      const RgbImage out = resample_ok(img, whole(img), w, h, f);
      for (size_t i = 0; i < out.pixels.size(); i += 3) {
        ASSERT_EQ(out.pixels[i], 17);
        ASSERT_EQ(out.pixels[i + 1], 130);
        ASSERT_EQ(out.pixels[i + 2], 254);
      }
    }
  }
}

TEST(ResampleTest, BoxFilterWithIntegerFactorIsTheBlockAverage) {
  const RgbImage img = test::pattern_image(40, 24);
  const RgbImage out = resample_ok(img, whole(img), 10, 6, ResampleFilter::kBox);
  for (int y = 0; y < 6; ++y) {
    for (int x = 0; x < 10; ++x) {
      for (int c = 0; c < 3; ++c) {
        int sum = 0;
        for (int dy = 0; dy < 4; ++dy) {
          for (int dx = 0; dx < 4; ++dx) sum += img.pixel(x * 4 + dx, y * 4 + dy)[c];
        }
        EXPECT_EQ(out.pixel(x, y)[c], static_cast<int>(std::floor(sum / 16.0 + 0.5))) << x << "," << y;
      }
    }
  }
}

// A one-pixel checkerboard is pure aliasing bait: point sampling gives 0 or 255, an antialiased
// reduction gives the mean everywhere.
TEST(ResampleTest, DownscalingDoesNotAlias) {
  RgbImage img;
  img.width = 4000;
  img.height = 3000;
  img.pixels.resize(static_cast<size_t>(img.width) * img.height * 3);
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      const uint8_t v = ((x + y) % 2) ? 255 : 0;
      uint8_t* p = &img.pixels[(static_cast<size_t>(y) * img.width + x) * 3];
      p[0] = p[1] = p[2] = v;
    }
  }
  for (ResampleFilter f : kFilters) {
    const RgbImage out = resample_ok(img, whole(img), 224, 168, f);
    int lo = 255;
    int hi = 0;
    for (uint8_t v : out.pixels) {
      lo = std::min<int>(lo, v);
      hi = std::max<int>(hi, v);
    }
    EXPECT_GE(lo, 124) << static_cast<int>(f);
    EXPECT_LE(hi, 131) << static_cast<int>(f);
  }
}

// Pillow's Image.resize (scripts/fixtures/make-test-fixtures.py) as the reference. Pillow rounds to 8 bits between
// its two passes and uses fixed-point weights; we keep float precision, so values may differ by 1.
TEST(ResampleTest, MatchesPillow) {
  const RgbImage source = decode_fixture("resize_source.png");
  for (const char* name : {"triangle", "box", "cubic"}) {
    const ResampleFilter f = std::string(name) == "triangle" ? ResampleFilter::kTriangle
                             : std::string(name) == "box"    ? ResampleFilter::kBox
                                                             : ResampleFilter::kCubic;
    for (auto [w, h] : {std::pair{40, 25}, std::pair{150, 100}}) {
      const std::string file =
          std::string("resize_pil_") + name + "_" + std::to_string(w) + "x" + std::to_string(h) + ".png";
      const RgbImage want = decode_fixture(file.c_str());
      const RgbImage got = resample_ok(source, whole(source), w, h, f);
      ASSERT_EQ(got.pixels.size(), want.pixels.size());
      int max_diff = 0;
      int exact = 0;
      for (size_t i = 0; i < got.pixels.size(); ++i) {
        const int d = std::abs(got.pixels[i] - want.pixels[i]);
        max_diff = std::max(max_diff, d);
        exact += d == 0;
      }
      EXPECT_LE(max_diff, 1) << file;
      EXPECT_GT(exact, static_cast<int>(got.pixels.size() * 0.7)) << file;
    }
  }
}

TEST(ResampleTest, RegionSelectsThePixelsItCovers) {
  const RgbImage img = test::pattern_image(64, 48);
  const RgbImage out = resample_ok(img, {10, 20, 30, 40}, 20, 20, ResampleFilter::kTriangle);
  for (int y = 0; y < 20; ++y) {
    for (int x = 0; x < 20; ++x) {
      for (int c = 0; c < 3; ++c) EXPECT_EQ(out.pixel(x, y)[c], img.pixel(x + 10, y + 20)[c]);
    }
  }
}

TEST(ResampleTest, InvalidArgumentsAreErrors) {
  const RgbImage img = test::pattern_image(8, 8);
  EXPECT_EQ(resample(img, whole(img), 0, 5).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(resample(img, {0, 0, 9, 8}, 4, 4).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(resample(img, {4, 4, 4, 8}, 4, 4).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(resample(RgbImage{}, {0, 0, 1, 1}, 4, 4).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(resample(img, {NAN, 0, 8, 8}, 4, 4).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace dermcam

#include "orientation.h"

#include <gtest/gtest.h>

#include <array>

#include "decode.h"
#include "test_images.h"

namespace dermcam {
namespace {

using Rgb = std::array<int, 3>;
constexpr Rgb kRed = {255, 0, 0};
constexpr Rgb kGreen = {0, 255, 0};
constexpr Rgb kBlue = {0, 0, 255};
constexpr Rgb kWhite = {255, 255, 255};

Rgb at(const RgbImage& img, int x, int y) {
  const uint8_t* p = img.pixel(x, y);
  return {p[0], p[1], p[2]};
}

// Corner colours after turning the quadrant image (red TL, green TR, blue BL, white BR) upright.
struct Expected {
  int orientation;
  Rgb top_left, top_right, bottom_left, bottom_right;
};

const Expected kCases[] = {
    {1, kRed, kGreen, kBlue, kWhite}, {2, kGreen, kRed, kWhite, kBlue}, {3, kWhite, kBlue, kGreen, kRed},
    {4, kBlue, kWhite, kRed, kGreen}, {5, kRed, kBlue, kGreen, kWhite}, {6, kBlue, kRed, kWhite, kGreen},
    {7, kWhite, kGreen, kBlue, kRed}, {8, kGreen, kWhite, kRed, kBlue},
};

TEST(OrientationTest, EachOrientationMovesCornersAsExifDefines) {
  const RgbImage source = test::quadrant_image(6, 4);
  for (const Expected& e : kCases) {
    const RgbImage out = apply_exif_orientation(source, e.orientation);
    const bool swapped = e.orientation >= 5;
    ASSERT_EQ(out.width, swapped ? 4 : 6) << e.orientation;
    ASSERT_EQ(out.height, swapped ? 6 : 4) << e.orientation;
    EXPECT_EQ(at(out, 0, 0), e.top_left) << e.orientation;
    EXPECT_EQ(at(out, out.width - 1, 0), e.top_right) << e.orientation;
    EXPECT_EQ(at(out, 0, out.height - 1), e.bottom_left) << e.orientation;
    EXPECT_EQ(at(out, out.width - 1, out.height - 1), e.bottom_right) << e.orientation;
  }
}

TEST(OrientationTest, IsAPermutationOfPixels) {
  const RgbImage source = test::pattern_image(7, 5);
  for (int o = 1; o <= 8; ++o) {
    const RgbImage out = apply_exif_orientation(source, o);
    // Undo it: 6 and 8 are inverses of each other; every other orientation is its own inverse.
    const int inverse = o == 6 ? 8 : (o == 8 ? 6 : o);
    const RgbImage back = apply_exif_orientation(out, inverse);
    EXPECT_EQ(back.width, source.width);
    EXPECT_EQ(back.pixels, source.pixels) << o;
  }
}

TEST(OrientationTest, InvalidValuesLeaveTheImageAlone) {
  const RgbImage source = test::pattern_image(5, 3);
  EXPECT_EQ(apply_exif_orientation(source, 0).pixels, source.pixels);
  EXPECT_EQ(apply_exif_orientation(source, 9).pixels, source.pixels);
  EXPECT_EQ(apply_exif_orientation(RgbImage{}, 6).pixels.size(), 0u);
}

// End to end: an EXIF-tagged JPEG decodes upright (JPEG blurs the colour edges; read quadrant centres).
TEST(OrientationTest, TaggedJpegDecodesUpright) {
  const auto jpeg = test::encode_jpeg(test::quadrant_image(64, 48), 95);
  for (const Expected& e : kCases) {
    for (bool le : {false, true}) {
      const auto tagged = test::with_exif_orientation(jpeg, e.orientation, le);
      auto decoded = decode_image(tagged.data(), tagged.size());
      ASSERT_TRUE(decoded.ok()) << decoded.error().message;
      const RgbImage& img = decoded.value().image;
      EXPECT_EQ(decoded.value().exif_orientation, e.orientation);
      EXPECT_EQ(decoded.value().stored_width, 64);
      ASSERT_EQ(img.width, e.orientation >= 5 ? 48 : 64);
      const int qx = img.width / 4;
      const int qy = img.height / 4;
      const std::array<std::pair<Rgb, Rgb>, 4> checks = {{{at(img, qx, qy), e.top_left},
                                                          {at(img, 3 * qx, qy), e.top_right},
                                                          {at(img, qx, 3 * qy), e.bottom_left},
                                                          {at(img, 3 * qx, 3 * qy), e.bottom_right}}};
      for (const auto& [got, want] : checks) {
        for (int c = 0; c < 3; ++c) EXPECT_NEAR(got[c], want[c], 12) << "orientation " << e.orientation;
      }
    }
  }
}

TEST(OrientationTest, CanBeSwitchedOff) {
  const auto tagged = test::with_exif_orientation(test::encode_jpeg(test::quadrant_image(64, 48)), 6);
  DecodeOptions options;
  options.apply_exif_orientation = false;
  auto decoded = decode_image(tagged.data(), tagged.size(), options);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value().exif_orientation, 6);
  EXPECT_EQ(decoded.value().image.width, 64);
}

}  // namespace
}  // namespace dermcam

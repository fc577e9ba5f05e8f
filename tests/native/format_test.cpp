#include "format.h"

#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>

#include "test_images.h"

namespace dermcam {
namespace {

struct Case {
  const char* file;
  ImageFormat format;
};

// gtest_discover_tests puts the printed parameter into CTest's test name; print the fixture, not raw bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.file; }

class FormatFixtureTest : public ::testing::TestWithParam<Case> {};

TEST_P(FormatFixtureTest, DetectsFormatFromContent) {
  const auto bytes = test::read_fixture(GetParam().file);
  EXPECT_EQ(detect_image_format(bytes.data(), bytes.size()), GetParam().format) << GetParam().file;
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, FormatFixtureTest,
    ::testing::Values(Case{"photo.jpg", ImageFormat::kJpeg}, Case{"blocks_progressive.jpg", ImageFormat::kJpeg},
                      Case{"blocks_cmyk.jpg", ImageFormat::kJpeg}, Case{"gray16.png", ImageFormat::kPng},
                      Case{"palette.png", ImageFormat::kPng}, Case{"blocks24.bmp", ImageFormat::kBmp},
                      Case{"blocks8.bmp", ImageFormat::kBmp}, Case{"refused.gif", ImageFormat::kGif},
                      Case{"refused.webp", ImageFormat::kWebp}, Case{"refused.heic", ImageFormat::kHeif},
                      Case{"refused.tiff", ImageFormat::kTiff}, Case{"refused.psd", ImageFormat::kPsd},
                      Case{"refused.hdr", ImageFormat::kHdr}, Case{"refused.ppm", ImageFormat::kPnm},
                      Case{"refused.tga", ImageFormat::kTga}, Case{"refused.ico", ImageFormat::kIco},
                      Case{"not_image.txt.jpg", ImageFormat::kUnknown},
                      Case{"not_image.html.jpg", ImageFormat::kUnknown},
                      Case{"not_image.pdf.jpg", ImageFormat::kUnknown},
                      Case{"not_image.svg.jpg", ImageFormat::kUnknown}),
    // Named after the fixture, so a failure says which file.
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string name = info.param.file;
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

TEST(FormatTest, ShortAndEmptyInputsAreUnknown) {
  const uint8_t one[] = {0xFF};
  EXPECT_EQ(detect_image_format(nullptr, 0), ImageFormat::kUnknown);
  EXPECT_EQ(detect_image_format(one, 1), ImageFormat::kUnknown);
  const uint8_t jpeg_magic[] = {0xFF, 0xD8, 0xFF};
  EXPECT_EQ(detect_image_format(jpeg_magic, 3), ImageFormat::kJpeg);
  EXPECT_EQ(detect_image_format(jpeg_magic, 2), ImageFormat::kUnknown);
}

TEST(FormatTest, OnlyJpegPngBmpAreDecodable) {
  EXPECT_TRUE(is_decodable(ImageFormat::kJpeg));
  EXPECT_TRUE(is_decodable(ImageFormat::kPng));
  EXPECT_TRUE(is_decodable(ImageFormat::kBmp));
  for (ImageFormat f : {ImageFormat::kUnknown, ImageFormat::kGif, ImageFormat::kWebp, ImageFormat::kHeif,
                        ImageFormat::kTiff, ImageFormat::kPsd, ImageFormat::kHdr, ImageFormat::kPnm, ImageFormat::kTga,
                        ImageFormat::kJpegXl, ImageFormat::kIco}) {
    EXPECT_FALSE(is_decodable(f)) << image_format_name(f);
  }
}

}  // namespace
}  // namespace dermcam

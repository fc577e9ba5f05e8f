#include "exif.h"

#include <gtest/gtest.h>

#include "test_images.h"

namespace dermcam {
namespace {

std::vector<uint8_t> small_jpeg() { return test::encode_jpeg(test::quadrant_image(8, 6)); }

int orientation_of(const std::vector<uint8_t>& bytes) { return read_jpeg_exif_orientation(bytes.data(), bytes.size()); }

TEST(ExifTest, NoExifIsUpright) {
  EXPECT_EQ(orientation_of(small_jpeg()), 1);
  EXPECT_EQ(orientation_of(test::read_fixture("photo.jpg")), 1);
}

TEST(ExifTest, ReadsAllEightOrientationsInBothByteOrders) {
  const auto jpeg = small_jpeg();
  for (int o = 1; o <= 8; ++o) {
    EXPECT_EQ(orientation_of(test::with_exif_orientation(jpeg, o, false)), o) << "big-endian " << o;
    EXPECT_EQ(orientation_of(test::with_exif_orientation(jpeg, o, true)), o) << "little-endian " << o;
  }
}

TEST(ExifTest, OutOfRangeValuesAreIgnored) {
  const auto jpeg = small_jpeg();
  EXPECT_EQ(orientation_of(test::with_exif_orientation(jpeg, 0)), 1);
  EXPECT_EQ(orientation_of(test::with_exif_orientation(jpeg, 9)), 1);
  EXPECT_EQ(orientation_of(test::with_exif_orientation(jpeg, 0xFFFF)), 1);
}

TEST(ExifTest, MalformedTiffNeverReadsOutOfBounds) {
  const auto jpeg = small_jpeg();
  auto tiff_with = [](std::vector<uint8_t> ifd_and_after, uint32_t ifd_offset) {
    std::vector<uint8_t> t = {'M',
                              'M',
                              0,
                              42,
                              static_cast<uint8_t>(ifd_offset >> 24),
                              static_cast<uint8_t>(ifd_offset >> 16),
                              static_cast<uint8_t>(ifd_offset >> 8),
                              static_cast<uint8_t>(ifd_offset)};
    for (uint8_t b : ifd_and_after) t.push_back(b);
    return t;
  };
  // IFD0 offset past the end, at the very end, and 0xFFFFFFFF.
  EXPECT_EQ(orientation_of(test::with_app1_tiff(jpeg, tiff_with({}, 1000))), 1);
  EXPECT_EQ(orientation_of(test::with_app1_tiff(jpeg, tiff_with({}, 8))), 1);
  EXPECT_EQ(orientation_of(test::with_app1_tiff(jpeg, tiff_with({}, 0xFFFFFFFF))), 1);
  // A huge entry count with only one entry present.
  EXPECT_EQ(orientation_of(test::with_app1_tiff(jpeg, tiff_with({0xFF, 0xFF, 0x01, 0x0F}, 8))), 1);
  // IFD0 pointing back at the header (a loop in a naive reader).
  EXPECT_EQ(orientation_of(test::with_app1_tiff(jpeg, tiff_with({0, 1, 1, 0x12, 0, 3, 0, 0, 0, 1, 0, 6}, 0))), 1);
  // Orientation stored as LONG (type 4) is not what browsers read.
  EXPECT_EQ(orientation_of(
                test::with_app1_tiff(jpeg, tiff_with({0, 1, 0x01, 0x12, 0, 4, 0, 0, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0}, 8))),
            1);
  // A correct single entry, for contrast.
  EXPECT_EQ(orientation_of(
                test::with_app1_tiff(jpeg, tiff_with({0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0}, 8))),
            6);
  // Bad byte order mark and bad magic.
  auto bad_order = tiff_with({0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0}, 8);
  bad_order[0] = 'X';
  EXPECT_EQ(orientation_of(test::with_app1_tiff(jpeg, bad_order)), 1);
  auto bad_magic = tiff_with({0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0}, 8);
  bad_magic[3] = 43;
  EXPECT_EQ(orientation_of(test::with_app1_tiff(jpeg, bad_magic)), 1);
}

TEST(ExifTest, SegmentLengthPastEndOfFileIsIgnored) {
  auto bytes = test::with_exif_orientation(small_jpeg(), 6);
  bytes[4] = 0xFF;  // APP1 length high byte: now far larger than the file
  EXPECT_EQ(orientation_of(bytes), 1);
  // Every truncation of a tagged file is safe and reports 1 or the true value.
  const auto tagged = test::with_exif_orientation(small_jpeg(), 6);
  for (size_t n = 0; n <= tagged.size(); ++n) {
    const int o = read_jpeg_exif_orientation(tagged.data(), n);
    EXPECT_TRUE(o == 1 || o == 6) << n;
  }
}

TEST(ExifTest, NonJpegInputIsUpright) {
  const auto png = test::encode_png(test::quadrant_image(4, 4));
  EXPECT_EQ(orientation_of(png), 1);
  EXPECT_EQ(read_jpeg_exif_orientation(nullptr, 0), 1);
}

}  // namespace
}  // namespace dermcam

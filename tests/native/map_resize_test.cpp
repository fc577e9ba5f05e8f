#include "map_resize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "npy.h"

namespace dermcam {
namespace {

// References: cv2.resize(src, size) in OpenCV 4.6 (scripts/fixtures/make-cam-references.py).
TEST(MapResizeTest, MatchesOpenCvInterLinear) {
  const test::NpyArray src = test::read_cam_fixture("resize_src.npy");  // 5 x 7
  for (const auto& [w, h] : {std::pair{40, 32}, std::pair{224, 224}, std::pair{9, 5}}) {
    const test::NpyArray want =
        test::read_cam_fixture("resize_" + std::to_string(w) + "x" + std::to_string(h) + ".npy");
    const std::vector<float> got = resize_map_bilinear(src.data.data(), 7, 5, w, h);
    ASSERT_EQ(got.size(), want.data.size());
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(double(got[i]) - want.data[i]));
    EXPECT_LT(worst, 1e-6) << w << "x" << h;
  }
}

TEST(MapResizeTest, PixelCentresAreAligned) {
  // Enlarging 2 -> 4: destination centres at source -0.25, 0.25, 0.75, 1.25 -> clamped, 1/4, 3/4, clamped.
  const float src[2] = {0.0f, 1.0f};
  const std::vector<float> out = resize_map_bilinear(src, 2, 1, 4, 1);
  EXPECT_FLOAT_EQ(out[0], 0.0f);
  EXPECT_FLOAT_EQ(out[1], 0.25f);
  EXPECT_FLOAT_EQ(out[2], 0.75f);
  EXPECT_FLOAT_EQ(out[3], 1.0f);
}

TEST(MapResizeTest, SameSizeIsIdentityAndSinglePixelIsConstant) {
  const float src[6] = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(resize_map_bilinear(src, 3, 2, 3, 2), std::vector<float>(src, src + 6));
  const float one = 0.5f;
  for (float v : resize_map_bilinear(&one, 1, 1, 5, 3)) EXPECT_EQ(v, 0.5f);
}

}  // namespace
}  // namespace dermcam

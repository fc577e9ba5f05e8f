#include "colormap.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>

namespace dermcam {
namespace {

using Rgb = std::array<uint8_t, 3>;

// Endpoints and midpoints as OpenCV 4.6 (jet) and matplotlib 3.6 (others) give them.
TEST(ColormapTest, LookupTableEndpoints) {
  EXPECT_EQ(colormap_table(Colormap::kJet)[0], (Rgb{0, 0, 128}));
  EXPECT_EQ(colormap_table(Colormap::kJet)[128], (Rgb{130, 255, 126}));
  EXPECT_EQ(colormap_table(Colormap::kJet)[255], (Rgb{128, 0, 0}));
  EXPECT_EQ(colormap_table(Colormap::kViridis)[0], (Rgb{68, 1, 84}));
  EXPECT_EQ(colormap_table(Colormap::kViridis)[255], (Rgb{253, 231, 36}));
  EXPECT_EQ(colormap_table(Colormap::kInferno)[0], (Rgb{0, 0, 3}));
  EXPECT_EQ(colormap_table(Colormap::kInferno)[255], (Rgb{252, 254, 164}));
  EXPECT_EQ(colormap_table(Colormap::kTurbo)[0], (Rgb{48, 18, 59}));
  EXPECT_EQ(colormap_table(Colormap::kTurbo)[255], (Rgb{122, 4, 2}));
}

TEST(ColormapTest, PerceptualMapsGetBrighterMonotonically) {
  for (Colormap c : {Colormap::kViridis, Colormap::kInferno}) {
    const auto& t = colormap_table(c);
    auto luma = [](const Rgb& p) { return 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]; };
    for (int i = 1; i < 256; ++i) EXPECT_GE(luma(t[i]) + 1.0, luma(t[i - 1])) << i;
  }
}

TEST(ColormapTest, IndexTruncatesLikeNumpyUint8) {
  EXPECT_EQ(colormap_index(0.0f), 0);
  EXPECT_EQ(colormap_index(1.0f), 255);
  EXPECT_EQ(colormap_index(0.999f), 254);  // np.uint8(254.745) == 254
  EXPECT_EQ(colormap_index(0.5f), 127);
  EXPECT_EQ(colormap_index(-3.0f), 0);
  EXPECT_EQ(colormap_index(7.0f), 255);
  EXPECT_EQ(colormap_index(NAN), 0);
}

TEST(ColormapTest, RegistryNamesEveryTable) {
  ASSERT_EQ(colormap_registry().size(), 4u);
  EXPECT_EQ(find_colormap("turbo")->colormap, Colormap::kTurbo);
  EXPECT_TRUE(find_colormap("viridis")->perceptually_uniform);
  EXPECT_EQ(find_colormap("rainbow"), nullptr);
}

}  // namespace
}  // namespace dermcam

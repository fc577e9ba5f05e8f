#include "preprocess.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_images.h"

namespace dermcam {
namespace {

RgbImage solid(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  RgbImage img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (size_t i = 0; i < img.pixels.size(); i += 3) {
    img.pixels[i] = r;
    img.pixels[i + 1] = g;
    img.pixels[i + 2] = b;
  }
  return img;
}

void paint(RgbImage& img, int x0, int y0, int x1, int y1, uint8_t r, uint8_t g, uint8_t b) {
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) {
      uint8_t* p = &img.pixels[(static_cast<size_t>(y) * img.width + x) * 3];
      p[0] = r;
      p[1] = g;
      p[2] = b;
    }
  }
}

ModelTensor tensor_ok(const RgbImage& img, const PreprocessOptions& o) {
  auto t = make_model_tensor(img, o);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return t.ok() ? std::move(t).value() : ModelTensor{};
}

float nchw(const ModelTensor& t, int c, int y, int x) {
  return t.data[(static_cast<size_t>(c) * t.shape[2] + y) * t.shape[3] + x];
}
float nhwc(const ModelTensor& t, int c, int y, int x) {
  return t.data[(static_cast<size_t>(y) * t.shape[2] + x) * 3 + c];
}

TEST(PreprocessTest, UnitScaleNormalisationIsTorchvisionStyle) {
  PreprocessOptions o;
  o.width = 8;
  o.height = 6;
  const ModelTensor t = tensor_ok(solid(40, 30, 200, 100, 0), o);
  ASSERT_EQ(t.shape, (std::array<int, 4>{1, 3, 6, 8}));
  const uint8_t px[3] = {200, 100, 0};
  for (int c = 0; c < 3; ++c) {
    const float want = (px[c] / 255.0f - o.mean[c]) / o.std[c];
    EXPECT_EQ(nchw(t, c, 3, 4), want);
  }
  EXPECT_NEAR(nchw(t, 0, 0, 0), (200 / 255.0 - 0.485) / 0.229, 1e-5);
}

TEST(PreprocessTest, ByteScaleNormalisationIsCaffeStyle) {
  PreprocessOptions o;
  o.width = 4;
  o.height = 4;
  o.scale = PixelScale::kByte;
  o.mean = {103.939f, 116.779f, 123.68f};
  o.std = {1, 1, 1};
  const ModelTensor t = tensor_ok(solid(9, 9, 10, 20, 30), o);
  EXPECT_FLOAT_EQ(nchw(t, 0, 1, 1), 10 - 103.939f);
  EXPECT_FLOAT_EQ(nchw(t, 2, 1, 1), 30 - 123.68f);
}

TEST(PreprocessTest, NhwcIsTheTransposeOfNchw) {
  const RgbImage img = test::pattern_image(123, 77);
  PreprocessOptions o;
  o.width = 32;
  o.height = 24;
  o.policy = ResizePolicy::kLetterbox;
  const ModelTensor a = tensor_ok(img, o);
  o.layout = TensorLayout::kNHWC;
  const ModelTensor b = tensor_ok(img, o);
  ASSERT_EQ(b.shape, (std::array<int, 4>{1, 24, 32, 3}));
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 24; ++y) {
      for (int x = 0; x < 32; ++x) ASSERT_EQ(nchw(a, c, y, x), nhwc(b, c, y, x));
    }
  }
}

TEST(PreprocessTest, StretchCoversTheWholePhoto) {
  PreprocessOptions o;
  o.policy = ResizePolicy::kStretch;
  const Placement p = plan_placement(400, 300, o).value();
  EXPECT_EQ(p.source_region.x1, 400);
  EXPECT_EQ(p.source_region.y1, 300);
  EXPECT_EQ(p.tensor_content.x1, 224);
  EXPECT_EQ(p.tensor_content.y1, 224);
}

TEST(PreprocessTest, CenterCropTakesTheCentralSquare) {
  PreprocessOptions o;
  o.policy = ResizePolicy::kCenterCrop;
  const Placement p = plan_placement(400, 300, o).value();
  EXPECT_DOUBLE_EQ(p.source_region.x0, 50);
  EXPECT_DOUBLE_EQ(p.source_region.x1, 350);
  EXPECT_DOUBLE_EQ(p.source_region.y0, 0);
  EXPECT_DOUBLE_EQ(p.source_region.y1, 300);
  EXPECT_EQ(p.tensor_content.x0, 0);
  EXPECT_EQ(p.tensor_content.x1, 224);

  // Red left margin, green centre: the crop must drop the red part entirely.
  RgbImage img = solid(400, 300, 0, 255, 0);
  paint(img, 0, 0, 40, 300, 255, 0, 0);
  const ModelTensor t = tensor_ok(img, o);
  const float green_r = (0 / 255.0f - o.mean[0]) / o.std[0];
  for (int y = 0; y < 224; y += 37) EXPECT_EQ(nchw(t, 0, y, 0), green_r);
}

TEST(PreprocessTest, LetterboxPadsWithTheNormalisedPadColour) {
  PreprocessOptions o;
  o.policy = ResizePolicy::kLetterbox;
  o.pad_color = {114, 114, 114};
  const Placement p = plan_placement(400, 300, o).value();
  EXPECT_EQ(p.tensor_content.x0, 0);
  EXPECT_EQ(p.tensor_content.x1, 224);
  EXPECT_EQ(p.tensor_content.y0, 28);
  EXPECT_EQ(p.tensor_content.y1, 196);

  const ModelTensor t = tensor_ok(solid(400, 300, 255, 0, 0), o);
  for (int c = 0; c < 3; ++c) {
    const float pad = (114 / 255.0f - o.mean[c]) / o.std[c];
    const float red = ((c == 0 ? 255 : 0) / 255.0f - o.mean[c]) / o.std[c];
    EXPECT_EQ(nchw(t, c, 0, 100), pad);
    EXPECT_EQ(nchw(t, c, 27, 100), pad);
    EXPECT_EQ(nchw(t, c, 28, 100), red);
    EXPECT_EQ(nchw(t, c, 195, 100), red);
    EXPECT_EQ(nchw(t, c, 196, 100), pad);
    EXPECT_EQ(nchw(t, c, 223, 0), pad);
  }
}

TEST(PreprocessTest, TallPhotoLetterboxesLeftAndRight) {
  PreprocessOptions o;
  o.policy = ResizePolicy::kLetterbox;
  const Placement p = plan_placement(300, 600, o).value();
  EXPECT_EQ(p.tensor_content.x0, 56);
  EXPECT_EQ(p.tensor_content.x1, 168);
  EXPECT_EQ(p.tensor_content.y0, 0);
  EXPECT_EQ(p.tensor_content.y1, 224);
}

// A 40 x 40 marker in a 400 x 300 photo: wherever a policy puts it in the tensor, the tensor-to-display
// map must bring it back onto the marker in the display copy.
TEST(PreprocessTest, TensorToDisplayMappingLandsOnTheSamePixels) {
  RgbImage img = solid(400, 300, 0, 0, 0);
  paint(img, 230, 120, 270, 160, 255, 255, 255);
  for (ResizePolicy policy : {ResizePolicy::kStretch, ResizePolicy::kCenterCrop, ResizePolicy::kLetterbox}) {
    PreprocessOptions o;
    o.policy = policy;
    o.mean = {0, 0, 0};
    o.std = {1, 1, 1};
    const ModelTensor t = tensor_ok(img, o);
    const RgbaImage display = make_display_image(img, 200).value();
    ASSERT_EQ(display.width, 200);
    ASSERT_EQ(display.height, 150);
    const TensorToDisplay m = map_tensor_to_display(t.placement, 400, 300, display.width, display.height);
    // Centroid of the bright tensor pixels, in continuous coordinates (pixel centres at +0.5).
    double sx = 0, sy = 0, n = 0;
    for (int y = 0; y < 224; ++y) {
      for (int x = 0; x < 224; ++x) {
        const double v = nchw(t, 0, y, x);
        sx += v * (x + 0.5);
        sy += v * (y + 0.5);
        n += v;
      }
    }
    const double dx = (sx / n) * m.scale_x + m.offset_x;
    const double dy = (sy / n) * m.scale_y + m.offset_y;
    // The marker's centre in the 200 x 150 display is (125, 70).
    EXPECT_NEAR(dx, 125.0, 0.25) << static_cast<int>(policy);
    EXPECT_NEAR(dy, 70.0, 0.25) << static_cast<int>(policy);
    // Tensor corners map to the display rectangle the tensor content shows.
    const Rect& c = t.placement.tensor_content;
    EXPECT_NEAR(c.x0 * m.scale_x + m.offset_x, t.placement.source_region.x0 / 2, 1e-9);
    EXPECT_NEAR(c.y1 * m.scale_y + m.offset_y, t.placement.source_region.y1 / 2, 1e-9);
  }
}

TEST(PreprocessTest, DisplayCopyIsBoundedAndNeverEnlarged) {
  const RgbImage big = test::pattern_image(3000, 1000);
  const RgbaImage d = make_display_image(big, 1024).value();
  EXPECT_EQ(d.width, 1024);
  EXPECT_EQ(d.height, 341);
  const RgbImage small = test::pattern_image(300, 200);
  const RgbaImage s = make_display_image(small, 1024).value();
  EXPECT_EQ(s.width, 300);
  EXPECT_EQ(s.height, 200);
  for (size_t i = 0; i < s.pixels.size(); i += 4) {
    ASSERT_EQ(s.pixels[i], small.pixels[i / 4 * 3]);
    ASSERT_EQ(s.pixels[i + 3], 255);
  }
}

TEST(PreprocessTest, InvalidOptionsAreRefused) {
  const RgbImage img = test::pattern_image(10, 10);
  PreprocessOptions o;
  o.width = 0;
  EXPECT_EQ(make_model_tensor(img, o).error().code, ErrorCode::kInvalidArgument);
  o = {};
  o.height = kMaxTensorSide + 1;
  EXPECT_EQ(make_model_tensor(img, o).error().code, ErrorCode::kInvalidArgument);
  o = {};
  o.std = {1, 0, 1};
  EXPECT_EQ(make_model_tensor(img, o).error().code, ErrorCode::kInvalidArgument);
  o = {};
  o.mean = {NAN, 0, 0};
  EXPECT_EQ(make_model_tensor(img, o).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(make_model_tensor(RgbImage{}, PreprocessOptions{}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(make_display_image(img, 8).error().code, ErrorCode::kInvalidArgument);
}

// The framing square: a 60 x 60 region around a 20 x 20 spot of a 1200 x 900 photo fills the whole tensor at
// the model's resolution (the whole-photo centre crop would give the spot about 5 tensor pixels), the display
// copy shows the region only, and the mapping brings the spot back onto itself.
TEST(PreprocessTest, RegionGivesTheSpotTheWholeTensor) {
  RgbImage img = solid(1200, 900, 0, 0, 0);
  paint(img, 820, 140, 840, 160, 255, 255, 255);
  PreprocessOptions o;
  o.width = 60;
  o.height = 60;
  o.mean = {0, 0, 0};
  o.std = {1, 1, 1};
  o.filter = ResampleFilter::kBox;
  o.region = {800, 120, 860, 180};
  const ModelTensor t = tensor_ok(img, o);
  EXPECT_EQ(t.placement.source_region.x0, 800);
  EXPECT_EQ(t.placement.source_region.y1, 180);
  for (int y = 0; y < 60; ++y) {
    for (int x = 0; x < 60; ++x) {
      const bool spot = x >= 20 && x < 40 && y >= 20 && y < 40;
      ASSERT_EQ(nchw(t, 0, y, x), spot ? 1.0f : 0.0f) << x << "," << y;
    }
  }
  const RgbaImage display = make_display_image(img, 1024, o.region).value();
  ASSERT_EQ(display.width, 60);
  ASSERT_EQ(display.height, 60);
  EXPECT_EQ(display.pixels[(30 * 60 + 30) * 4], 255);
  EXPECT_EQ(display.pixels[(5 * 60 + 5) * 4], 0);
  const TensorToDisplay m = map_tensor_to_display(t.placement, o.region, display.width, display.height);
  EXPECT_NEAR(30 * m.scale_x + m.offset_x, 30, 1e-9);
  EXPECT_NEAR(0 * m.scale_y + m.offset_y, 0, 1e-9);
  // A non-square region is centre-cropped like a photo of that size.
  o.region = {700, 100, 900, 200};
  EXPECT_EQ(tensor_ok(img, o).placement.source_region.x0, 750);
}

TEST(PreprocessTest, RegionOutsideThePhotoIsRefused) {
  const RgbImage img = test::pattern_image(100, 80);
  PreprocessOptions o;
  for (const Rect& bad : {Rect{-1, 0, 10, 10}, Rect{0, 0, 101, 10}, Rect{0, 70, 10, 81}, Rect{5, 5, 5, 10},
                          Rect{0.5, 0, 10, 10}, Rect{20, 20, 10, 30}}) {
    o.region = bad;
    auto t = make_model_tensor(img, o);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().code, ErrorCode::kRegionOutsidePhoto);
    EXPECT_NE(t.error().message.find("100 x 80 photo"), std::string::npos) << t.error().message;
    ASSERT_EQ(t.error().params.size(), 2u);
    EXPECT_EQ(t.error().params[0].name, "photoWidth");
    EXPECT_EQ(t.error().params[0].number, 100);
    EXPECT_EQ(t.error().params[1].number, 80);
    EXPECT_FALSE(make_display_image(img, 1024, bad).ok());
  }
  o.region = {0, 0, 100, 80};
  EXPECT_TRUE(make_model_tensor(img, o).ok());
}

TEST(PreprocessTest, ExtremeAspectRatiosStillProduceATensor) {
  for (ResizePolicy policy : {ResizePolicy::kStretch, ResizePolicy::kCenterCrop, ResizePolicy::kLetterbox}) {
    PreprocessOptions o;
    o.policy = policy;
    EXPECT_TRUE(make_model_tensor(test::pattern_image(5000, 1), o).ok());
    EXPECT_TRUE(make_model_tensor(test::pattern_image(1, 3000), o).ok());
    EXPECT_TRUE(make_model_tensor(test::pattern_image(1, 1), o).ok());
  }
}

}  // namespace
}  // namespace dermcam

#include "overlay.h"

#include <gtest/gtest.h>

#include <cmath>

#include "decode.h"
#include "image_encode.h"
#include "map_resize.h"
#include "test_images.h"

namespace dermcam {
namespace {

RgbaImage rgba_from(const RgbImage& rgb) {
  RgbaImage out;
  out.width = rgb.width;
  out.height = rgb.height;
  out.pixels.resize(static_cast<size_t>(rgb.width) * rgb.height * 4);
  for (size_t i = 0, n = static_cast<size_t>(rgb.width) * rgb.height; i < n; ++i) {
    for (int c = 0; c < 3; ++c) out.pixels[i * 4 + c] = rgb.pixels[i * 3 + c];
    out.pixels[i * 4 + 3] = 255;
  }
  return out;
}

const Rect kFullTensor{0, 0, 224, 224};
const TensorToDisplay kIdentity{1, 1, 0, 0};

std::vector<float> gradient_map(int w, int h) {
  std::vector<float> m(static_cast<size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) m[static_cast<size_t>(y) * w + x] = static_cast<float>(x) / (w - 1);
  }
  return m;
}

TEST(OverlayTest, OpacityZeroIsThePhotoAndOneIsTheColormap) {
  const RgbaImage photo = rgba_from(test::pattern_image(224, 224));
  const std::vector<float> map = gradient_map(224, 224);
  for (Colormap colormap : {Colormap::kJet, Colormap::kTurbo, Colormap::kViridis, Colormap::kInferno}) {
    OverlayOptions o;
    o.colormap = colormap;
    o.opacity = 0.0f;
    EXPECT_EQ(render_overlay(photo, map.data(), 224, 224, kFullTensor, kIdentity, o).value().image.pixels,
              photo.pixels);
    o.opacity = 1.0f;
    const RgbaImage pure = render_overlay(photo, map.data(), 224, 224, kFullTensor, kIdentity, o).value().image;
    const ColormapTable& lut = colormap_table(colormap);
    for (int x = 0; x < 224; x += 13) {
      const uint8_t* p = &pure.pixels[(static_cast<size_t>(100) * 224 + x) * 4];
      const auto& want = lut[colormap_index(map[x])];
      EXPECT_EQ(p[0], want[0]);
      EXPECT_EQ(p[1], want[1]);
      EXPECT_EQ(p[2], want[2]);
      EXPECT_EQ(p[3], 255);
    }
  }
}

TEST(OverlayTest, HalfOpacityBlendsLinearly) {
  RgbImage grey;
  grey.width = grey.height = 224;
  grey.pixels.assign(224 * 224 * 3, 100);
  const std::vector<float> map(224 * 224, 1.0f);  // jet[255] = (128, 0, 0)
  OverlayOptions o;
  o.opacity = 0.5f;
  const RgbaImage out = render_overlay(rgba_from(grey), map.data(), 224, 224, kFullTensor, kIdentity, o).value().image;
  EXPECT_EQ(out.pixels[0], 114);  // 0.5 * 100 + 0.5 * 128
  EXPECT_EQ(out.pixels[1], 50);
  EXPECT_EQ(out.pixels[2], 50);
}

// One hot cell in a 7 x 7 CAM must land on the photo pixels it stands for, whatever the resize policy.
TEST(OverlayTest, HotCellLandsOnItsPhotoPixelsUnderEveryPolicy) {
  const RgbImage photo = test::pattern_image(400, 300);
  for (ResizePolicy policy : {ResizePolicy::kStretch, ResizePolicy::kCenterCrop, ResizePolicy::kLetterbox}) {
    PreprocessOptions p;
    p.policy = policy;
    const Placement placement = plan_placement(photo.width, photo.height, p).value();
    const RgbaImage display = rgba_from(photo);  // display == photo size: 400 x 300
    const TensorToDisplay m = map_tensor_to_display(placement, 400, 300, 400, 300);
    std::vector<float> cells(49, 0.0f);
    cells[2 * 7 + 5] = 1.0f;  // column 5, row 2
    const std::vector<float> map = resize_map_bilinear(cells.data(), 7, 7, 224, 224);
    const std::vector<float> heat = heat_on_display(map.data(), 224, 224, placement.tensor_content, m, 400, 300);
    size_t best = 0;
    for (size_t i = 0; i < heat.size(); ++i) {
      if (!std::isnan(heat[i]) && (std::isnan(heat[best]) || heat[i] > heat[best])) best = i;
    }
    // The cell's centre in tensor coordinates (the CAM covers the whole tensor, padding included), then in
    // the photo.
    const Rect& c = placement.tensor_content;
    const double tx = (5 + 0.5) * 224 / 7;
    const double ty = (2 + 0.5) * 224 / 7;
    const double want_x = tx * m.scale_x + m.offset_x;
    const double want_y = ty * m.scale_y + m.offset_y;
    EXPECT_NEAR(static_cast<double>(best % 400) + 0.5, want_x, 1.5) << static_cast<int>(policy);
    EXPECT_NEAR(static_cast<double>(best / 400) + 0.5, want_y, 1.5) << static_cast<int>(policy);

    // Pixels outside what the model saw carry no heat and keep the photo's colour.
    OverlayOptions o;
    o.opacity = 1.0f;
    const RgbaImage out = render_overlay(display, map.data(), 224, 224, c, m, o).value().image;
    if (policy == ResizePolicy::kCenterCrop) {  // the crop keeps photo x in [50, 350)
      EXPECT_TRUE(std::isnan(heat[150 * 400 + 10]));
      EXPECT_EQ(out.pixels[(150 * 400 + 10) * 4], display.pixels[(150 * 400 + 10) * 4]);
      EXPECT_FALSE(std::isnan(heat[150 * 400 + 60]));
    } else {
      EXPECT_FALSE(std::isnan(heat[0]));
      EXPECT_FALSE(std::isnan(heat[heat.size() - 1]));
    }
  }
}

TEST(OverlayTest, LetterboxPaddingGetsNoHeat) {
  PreprocessOptions p;
  p.policy = ResizePolicy::kLetterbox;
  const Placement placement = plan_placement(400, 300, p).value();  // content rows 28..196 of 224
  const TensorToDisplay m = map_tensor_to_display(placement, 400, 300, 400, 300);
  // Display row 0 is the photo's first row: it maps to tensor row 28, inside the content.
  EXPECT_NEAR(0.0 * m.scale_y + m.offset_y, -28.0 * m.scale_y, 1e-9);
  const std::vector<float> map(224 * 224, 1.0f);
  const std::vector<float> heat = heat_on_display(map.data(), 224, 224, placement.tensor_content, m, 400, 300);
  for (float v : heat) ASSERT_FALSE(std::isnan(v));  // every display pixel is photo, none is padding
}

TEST(OverlayTest, OutlineAndBoxSurroundTheHottestRegion) {
  RgbImage black;
  black.width = black.height = 224;
  black.pixels.assign(224 * 224 * 3, 0);
  std::vector<float> map(224 * 224, 0.1f);
  for (int y = 60; y < 100; ++y) {
    for (int x = 120; x < 180; ++x) map[y * 224 + x] = 0.9f;  // hottest region
  }
  for (int y = 150; y < 170; ++y) {
    for (int x = 20; x < 40; ++x) map[y * 224 + x] = 0.7f;  // hot, but not the hottest
  }
  OverlayOptions o;
  o.opacity = 0.0f;  // only the drawings show
  o.outline = true;
  o.box = true;
  o.threshold = 0.5f;
  const Overlay out = render_overlay(rgba_from(black), map.data(), 224, 224, kFullTensor, kIdentity, o).value();
  ASSERT_TRUE(out.has_box);
  EXPECT_EQ(out.box.x0, 120);
  EXPECT_EQ(out.box.y0, 60);
  EXPECT_EQ(out.box.x1, 180);
  EXPECT_EQ(out.box.y1, 100);
  auto px = [&](int x, int y) { return &out.image.pixels[(static_cast<size_t>(y) * 224 + x) * 4]; };
  EXPECT_EQ(px(120, 80)[0], 0);  // box edge: cyan (0, 255, 255)
  EXPECT_EQ(px(120, 80)[1], 255);
  EXPECT_EQ(px(20, 160)[0], 255);  // outline of the second region: white
  EXPECT_EQ(px(30, 160)[0], 0);    // inside the region: untouched
  EXPECT_EQ(px(5, 5)[0], 0);       // cold: untouched

  o.threshold = 0.95f;  // nothing that hot
  EXPECT_FALSE(render_overlay(rgba_from(black), map.data(), 224, 224, kFullTensor, kIdentity, o).value().has_box);
}

// Ties and near-ties for the hottest pixel: the box goes around the first (row-major) pixel of the largest heat.
// Regions whose heats share a colormap index but differ below it (0.9 and 0.9 + 1e-4: index 229 both) must still
// be told apart, and an exact tie goes to the region met first.
TEST(OverlayTest, TheBoxSurroundsTheFirstOfTheHottestPixels) {
  struct Case {
    int second_x, second_y;  // the second region's corner (the first is at 5, 10)
    float second;            // its heat (the first's is 0.9)
  };
  for (const Case c : {Case{40, 10, 0.9f}, Case{40, 10, 0.9001f}, Case{40, 30, 0.9f}, Case{40, 30, 0.9001f}}) {
    std::vector<float> map(64 * 64, 0.1f);
    for (int y = 10; y < 20; ++y) {
      for (int x = 5; x < 15; ++x) map[y * 64 + x] = 0.9f;
    }
    for (int y = c.second_y; y < c.second_y + 10; ++y) {
      for (int x = c.second_x; x < c.second_x + 10; ++x) map[y * 64 + x] = c.second;
    }
    const HeatLayers layers =
        heat_layers(map.data(), 64, 64, Rect{0, 0, 64, 64}, TensorToDisplay{1, 1, 0, 0}, 64, 64, 0.5f).value();
    ASSERT_TRUE(layers.has_box);
    ASSERT_EQ(colormap_index(0.9f), colormap_index(0.9001f));
    const HotBox want =
        c.second > 0.9f ? HotBox{c.second_x, c.second_y, c.second_x + 10, c.second_y + 10} : HotBox{5, 10, 15, 20};
    EXPECT_EQ(std::vector<int>({layers.box.x0, layers.box.y0, layers.box.x1, layers.box.y1}),
              std::vector<int>({want.x0, want.y0, want.x1, want.y1}))
        << "second region at " << c.second_x << ", " << c.second_y << " with heat " << c.second;
  }
}

// The layers against the definitions, computed the slow, obvious way: heat by bilinear taps per pixel, the
// outline as "hot with a non-hot (or outside) pixel in its (2t+1)^2 square", the box by a pixel-by-pixel flood
// fill from the hottest pixel. Random blobs with several hot regions, a letterboxed and a shifted mapping.
TEST(OverlayTest, HeatLayersMatchTheirDefinitionsComputedSlowly) {
  uint32_t state = 12345;
  auto random = [&state]() {
    state = state * 1664525u + 1013904223u;
    return static_cast<float>(state >> 8) / 16777216.0f;
  };
  for (int trial = 0; trial < 8; ++trial) {  // display sides 300..1300: outline thickness 1, 2 and 3
    const int mw = 14 + trial * 7;
    const int mh = 14 + trial * 5;
    std::vector<float> map(static_cast<size_t>(mw) * mh);
    for (float& v : map) v = random();
    const int w = trial < 6 ? 300 + trial * 91 : 850 + (trial - 6) * 450;
    const int h = trial < 6 ? 200 + trial * 57 : 600 + (trial - 6) * 123;
    const Rect content = trial % 2 ? Rect{0, 2, static_cast<double>(mw), mh - 2.0}
                                   : Rect{0, 0, static_cast<double>(mw), static_cast<double>(mh)};
    const TensorToDisplay m{static_cast<double>(w) / mw * 0.9, static_cast<double>(h) / mh * 0.95, w * 0.03, -2.5};
    const float threshold = 0.3f + 0.1f * (trial % 6);
    const HeatLayers layers = heat_layers(map.data(), mw, mh, content, m, w, h, threshold).value();

    std::vector<float> heat(static_cast<size_t>(w) * h);
    for (int y = 0; y < h; ++y) {
      const double ty = (y + 0.5 - m.offset_y) / m.scale_y;
      int iy = 0;
      float wy = 0;
      clamp_tap(static_cast<float>(ty - 0.5), mh, &iy, &wy);
      for (int x = 0; x < w; ++x) {
        const double tx = (x + 0.5 - m.offset_x) / m.scale_x;
        int ix = 0;
        float wx = 0;
        clamp_tap(static_cast<float>(tx - 0.5), mw, &ix, &wx);
        const bool inside = tx >= content.x0 && tx < content.x1 && ty >= content.y0 && ty < content.y1;
        auto at = [&](int yy, int xx) { return map[static_cast<size_t>(yy) * mw + xx]; };
        const int jx = wx == 0.0f ? ix : ix + 1;
        const int jy = wy == 0.0f ? iy : iy + 1;
        const float top = at(iy, ix) * (1.0f - wx) + at(iy, jx) * wx;
        const float bottom = at(jy, ix) * (1.0f - wx) + at(jy, jx) * wx;
        heat[static_cast<size_t>(y) * w + x] = inside ? top * (1.0f - wy) + bottom * wy : NAN;
      }
    }
    const int t = std::max(1, std::max(w, h) / 400);
    auto hot = [&](int x, int y) {
      return x >= 0 && y >= 0 && x < w && y < h && heat[static_cast<size_t>(y) * w + x] >= threshold;
    };
    size_t hottest = heat.size();
    for (size_t i = 0; i < heat.size(); ++i) {
      if (heat[i] >= threshold && (hottest == heat.size() || heat[i] > heat[hottest])) hottest = i;
    }
    std::vector<uint8_t> region(heat.size(), 0);
    std::vector<size_t> stack = {hottest};
    region[hottest] = 1;
    HotBox box{w, h, 0, 0};
    while (!stack.empty()) {
      const size_t i = stack.back();
      stack.pop_back();
      const int x = static_cast<int>(i % w);
      const int y = static_cast<int>(i / w);
      box = {std::min(box.x0, x), std::min(box.y0, y), std::max(box.x1, x + 1), std::max(box.y1, y + 1)};
      for (const auto& [dx, dy] : {std::pair{-1, 0}, std::pair{1, 0}, std::pair{0, -1}, std::pair{0, 1}}) {
        if (hot(x + dx, y + dy) && !region[static_cast<size_t>(y + dy) * w + x + dx]) {
          region[static_cast<size_t>(y + dy) * w + x + dx] = 1;
          stack.push_back(static_cast<size_t>(y + dy) * w + x + dx);
        }
      }
    }
    ASSERT_TRUE(layers.has_box) << "trial " << trial;
    EXPECT_EQ(std::vector<int>({layers.box.x0, layers.box.y0, layers.box.x1, layers.box.y1}),
              std::vector<int>({box.x0, box.y0, box.x1, box.y1}))
        << "trial " << trial;
    int mismatches = 0;
    std::vector<uint32_t> outline;
    HotBox covered{w, h, 0, 0};
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const size_t i = static_cast<size_t>(y) * w + x;
        const bool is_covered = !std::isnan(heat[i]);
        if (is_covered)
          covered = {std::min(covered.x0, x), std::min(covered.y0, y), std::max(covered.x1, x + 1),
                     std::max(covered.y1, y + 1)};
        bool edge = false;
        for (int dy = -t; dy <= t && hot(x, y); ++dy) {
          for (int dx = -t; dx <= t; ++dx) edge = edge || !hot(x + dx, y + dy);
        }
        if (edge) outline.push_back(static_cast<uint32_t>(i));
        const uint8_t index = is_covered ? static_cast<uint8_t>(colormap_index(heat[i])) : 0;
        mismatches += layers.index[i] != index;
      }
    }
    int covered_pixels = 0;
    for (const float v : heat) covered_pixels += !std::isnan(v);
    EXPECT_EQ(covered_pixels, (covered.x1 - covered.x0) * (covered.y1 - covered.y0))
        << "the seen pixels form a rectangle";
    EXPECT_EQ(layers.line_width, t);
    EXPECT_EQ(std::vector<int>({layers.covered.x0, layers.covered.y0, layers.covered.x1, layers.covered.y1}),
              std::vector<int>({covered.x0, covered.y0, covered.x1, covered.y1}))
        << "trial " << trial;
    EXPECT_EQ(layers.outline, outline) << "trial " << trial;

    // The lines as render_overlay paints them over black at opacity 0: the box's edges cyan, else the outline white.
    RgbaImage black;
    black.width = w;
    black.height = h;
    black.pixels.assign(static_cast<size_t>(w) * h * 4, 0);
    OverlayOptions lines;
    lines.opacity = 0.0f;
    lines.outline = lines.box = true;
    lines.threshold = threshold;
    const Overlay drawn = render_overlay(black, map.data(), mw, mh, content, m, lines).value();
    int line_mismatches = 0;
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const size_t i = static_cast<size_t>(y) * w + x;
        const bool on_box = x >= box.x0 && x < box.x1 && y >= box.y0 && y < box.y1 &&
                            (x < box.x0 + t || x >= box.x1 - t || y < box.y0 + t || y >= box.y1 - t);
        const bool on_outline = std::binary_search(outline.begin(), outline.end(), static_cast<uint32_t>(i));
        const uint8_t expected_red = on_box ? 0 : on_outline ? 255 : 0;
        const uint8_t expected_green = on_box || on_outline ? 255 : 0;
        line_mismatches += drawn.image.pixels[i * 4] != expected_red || drawn.image.pixels[i * 4 + 1] != expected_green;
      }
    }
    EXPECT_EQ(line_mismatches, 0) << "trial " << trial;
    EXPECT_EQ(mismatches, 0) << "trial " << trial;
  }
}

TEST(OverlayTest, InvalidArgumentsAreErrors) {
  const RgbaImage photo = rgba_from(test::pattern_image(10, 10));
  const std::vector<float> map(4, 0.5f);
  OverlayOptions o;
  o.opacity = 1.5f;
  EXPECT_EQ(render_overlay(photo, map.data(), 2, 2, kFullTensor, kIdentity, o).error().code,
            ErrorCode::kInvalidArgument);
  o = {};
  EXPECT_FALSE(render_overlay(photo, nullptr, 2, 2, kFullTensor, kIdentity, o).ok());
  EXPECT_FALSE(render_overlay(RgbaImage{}, map.data(), 2, 2, kFullTensor, kIdentity, o).ok());
  EXPECT_FALSE(render_overlay(photo, map.data(), 2, 2, kFullTensor, TensorToDisplay{0, 1, 0, 0}, o).ok());
}

TEST(PngEncodeTest, RoundTripsThroughTheDecoder) {
  const RgbaImage image = rgba_from(test::pattern_image(33, 21));
  const std::vector<uint8_t> png = encode_png(image).value();
  auto decoded = decode_image(png.data(), png.size());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value().image.pixels, test::pattern_image(33, 21).pixels);
  EXPECT_FALSE(encode_png(RgbaImage{}).ok());
}

}  // namespace
}  // namespace dermcam

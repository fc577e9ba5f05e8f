// Drawing a CAM on the photo: the heatmap the user sees, as RGBA for a canvas.
//
// The map (row-major, [0, 1], at the model input size, as compute_cam returns it) is sampled bilinearly
// onto every display pixel through the preprocessing's tensor-to-display mapping (preprocess.h), pixel-centre
// aligned like OpenCV's INTER_LINEAR, so the heat sits on the photo pixels it came from whatever the resize
// policy. Display pixels the model never saw (cropped away, or letterbox padding) get no heat.
//
// Blend: out = (1 - opacity) * photo + opacity * colormap(heat), in 8.8 fixed point with opacity rounded to
// 1/256 (invisible steps), so opacity 0 returns the photo and opacity 1 the pure colormap wherever there is
// heat. Alpha is kept from the display image.
// Optional: an outline (white) around every region with heat >= threshold, and a box (cyan) around the
// connected region (4-neighbour) holding the hottest pixel; both are about display_longest_side / 400 px
// thick (at least 1). The box is reported in display pixels (x1, y1 exclusive).
// Limits: opacity and threshold in [0, 1]; map sides 1..4096; display non-empty.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "colormap.h"
#include "error.h"
#include "image.h"
#include "preprocess.h"

namespace dermcam {

struct OverlayOptions {
  Colormap colormap = Colormap::kJet;
  float opacity = 0.5f;
  bool outline = false;
  bool box = false;
  float threshold = 0.5f;
};

struct HotBox {
  int x0 = 0;
  int y0 = 0;
  int x1 = 0;
  int y1 = 0;
};

struct Overlay {
  RgbaImage image;
  bool has_box = false;  // false when no pixel reaches the threshold
  HotBox box;
};

// Heat per display pixel (row-major, display size); NaN where the model saw nothing.
std::vector<float> heat_on_display(const float* map, int map_width, int map_height, const Rect& tensor_content,
                                   const TensorToDisplay& tensor_to_display, int display_width, int display_height);

// The overlay without the photo, for a page that composites it itself (opacity, colours and lines then change
// without recomputing anything): per display pixel the colormap index of its heat; the rectangle of display
// pixels the model saw (heat is drawn only there; index is 0 outside); the outline pixels, row-major; the box
// and the line width. render_overlay is exactly: blend lut[index] inside `covered`, then the outline in white,
// then the box's four edges (line_width thick, inside the box) in cyan, opaque. The box is reported when some
// pixel reaches the threshold. Lines are sparse, so they come as a list and a rectangle rather than per pixel.
struct HeatLayers {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> index;     // row-major, display size
  HotBox covered;                 // x1, y1 exclusive; empty (x0 == x1) when the model saw none of the display
  std::vector<uint32_t> outline;  // y * width + x of every outline pixel, ascending
  int line_width = 1;             // max(1, longest display side / 400)
  bool has_box = false;
  HotBox box;
};

// The box's four edges as rectangles (top, bottom, left, right; they overlap at the corners), each line_width
// thick and inside the box: what render_overlay paints cyan, and what a page fills.
std::array<HotBox, 4> box_edges(const HotBox& box, int line_width);

Result<HeatLayers> heat_layers(const float* map, int map_width, int map_height, const Rect& tensor_content,
                               const TensorToDisplay& tensor_to_display, int display_width, int display_height,
                               float threshold = 0.5f);

Result<Overlay> render_overlay(const RgbaImage& display, const float* map, int map_width, int map_height,
                               const Rect& tensor_content, const TensorToDisplay& tensor_to_display,
                               const OverlayOptions& options);

}  // namespace dermcam

#include "overlay.h"

#include "map_resize.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>

namespace dermcam {
namespace {

// For one display axis: the map's left/upper sample index, the weight of the next one, and whether the
// pixel centre lies inside the tensor content at all.
struct AxisTaps {
  std::vector<int> index;
  std::vector<float> weight;
  std::vector<char> inside;
};

AxisTaps axis_taps(int display_size, int map_size, double scale, double offset, double content_lo, double content_hi) {
  AxisTaps taps;
  taps.index.resize(display_size);
  taps.weight.resize(display_size);
  taps.inside.resize(display_size);
  for (int d = 0; d < display_size; ++d) {
    const double t = (d + 0.5 - offset) / scale;  // tensor coordinate of the display pixel centre
    taps.inside[d] = t >= content_lo && t < content_hi;
    clamp_tap(static_cast<float>(t - 0.5), map_size, &taps.index[d], &taps.weight[d]);  // map pixel centres
  }
  return taps;
}

// Samples the map along display rows; pixels outside the tensor content come out NaN.
class HeatSampler {
 public:
  HeatSampler(const float* map, int map_width, int map_height, const Rect& content, const TensorToDisplay& m,
              int display_width, int display_height)
      : map_(map),
        map_width_(map_width),
        tx_(axis_taps(display_width, map_width, m.scale_x, m.offset_x, content.x0, content.x1)),
        ty_(axis_taps(display_height, map_height, m.scale_y, m.offset_y, content.y0, content.y1)) {}

  void row(int y, float* out) const {
    const int w = static_cast<int>(tx_.index.size());
    if (!ty_.inside[y]) {
      std::fill(out, out + w, std::numeric_limits<float>::quiet_NaN());
      return;
    }
    const float wy = ty_.weight[y];
    const float* r0 = map_ + static_cast<size_t>(ty_.index[y]) * map_width_;
    const float* r1 = wy == 0.0f ? r0 : r0 + map_width_;
    for (int x = 0; x < w; ++x) {
      if (!tx_.inside[x]) {
        out[x] = std::numeric_limits<float>::quiet_NaN();
        continue;
      }
      const int i = tx_.index[x];
      const float wx = tx_.weight[x];
      const int j = wx == 0.0f ? i : i + 1;
      const float top = r0[i] * (1.0f - wx) + r0[j] * wx;
      const float bottom = r1[i] * (1.0f - wx) + r1[j] * wx;
      out[x] = top * (1.0f - wy) + bottom * wy;
    }
  }

 private:
  const float* map_;
  int map_width_;
  AxisTaps tx_;
  AxisTaps ty_;
};

}  // namespace

std::vector<float> heat_on_display(const float* map, int map_width, int map_height, const Rect& tensor_content,
                                   const TensorToDisplay& m, int display_width, int display_height) {
  const HeatSampler sampler(map, map_width, map_height, tensor_content, m, display_width, display_height);
  std::vector<float> heat(static_cast<size_t>(display_width) * display_height);
  for (int y = 0; y < display_height; ++y) sampler.row(y, &heat[static_cast<size_t>(y) * display_width]);
  return heat;
}

namespace {

Result<bool> validate(int display_width, int display_height, const float* map, int map_width, int map_height,
                      const TensorToDisplay& m, float threshold) {
  if (display_width < 1 || display_height < 1) return Error{ErrorCode::kInvalidArgument, "The display image is empty."};
  if (map == nullptr || map_width < 1 || map_height < 1 || map_width > 4096 || map_height > 4096) {
    return Error{ErrorCode::kInvalidArgument, "The heatmap must be between 1 and 4096 pixels per side."};
  }
  if (!(threshold >= 0.0f && threshold <= 1.0f)) {
    return Error{ErrorCode::kInvalidArgument, "Opacity and threshold must be between 0 and 1."};
  }
  if (!(m.scale_x > 0.0) || !(m.scale_y > 0.0) || !std::isfinite(m.scale_x) || !std::isfinite(m.scale_y) ||
      !std::isfinite(m.offset_x) || !std::isfinite(m.offset_y)) {
    return Error{ErrorCode::kInvalidArgument, "The tensor-to-display mapping must have positive, finite numbers."};
  }
  return true;
}

}  // namespace

Result<HeatLayers> heat_layers(const float* map, int map_width, int map_height, const Rect& tensor_content,
                               const TensorToDisplay& tensor_to_display, int display_width, int display_height,
                               float threshold) {
  auto valid = validate(display_width, display_height, map, map_width, map_height, tensor_to_display, threshold);
  if (!valid) return valid.error();
  const int w = display_width;
  const int h = display_height;
  const std::vector<float> heat = heat_on_display(map, map_width, map_height, tensor_content, tensor_to_display, w, h);
  HeatLayers out;
  out.width = w;
  out.height = h;
  out.index.resize(heat.size());
  out.flags.resize(heat.size());
  std::vector<uint8_t> hot(heat.size());
  for (size_t i = 0; i < heat.size(); ++i) {
    if (std::isnan(heat[i])) continue;
    out.index[i] = static_cast<uint8_t>(colormap_index(heat[i]));
    out.flags[i] = kHeatCovered;
    hot[i] = heat[i] >= threshold;
  }
  auto is_hot = [&](int x, int y) { return x >= 0 && y >= 0 && x < w && y < h && hot[static_cast<size_t>(y) * w + x]; };
  const int thickness = std::max(1, std::max(w, h) / 400);

  // Outline: a hot pixel whose (2t+1)^2 neighbourhood leaves the hot region (or the image); a separable
  // erosion with sliding-window counts, O(pixels) whatever the thickness.
  const int window = 2 * thickness + 1;
  std::vector<uint8_t> row_full(hot.size(), 0);
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = &hot[static_cast<size_t>(y) * w];
    int count = 0;
    for (int x = -thickness; x < w; ++x) {
      const int enter = x + thickness;
      const int leave = x - thickness - 1;
      if (enter < w) count += row[enter];
      if (leave >= 0) count -= row[leave];
      if (x >= 0) row_full[static_cast<size_t>(y) * w + x] = count == window;
    }
  }
  for (int x = 0; x < w; ++x) {
    int count = 0;
    for (int y = -thickness; y < h; ++y) {
      const int enter = y + thickness;
      const int leave = y - thickness - 1;
      if (enter < h) count += row_full[static_cast<size_t>(enter) * w + x];
      if (leave >= 0) count -= row_full[static_cast<size_t>(leave) * w + x];
      if (y >= 0 && hot[static_cast<size_t>(y) * w + x] && count != window) out.flags[static_cast<size_t>(y) * w + x] |= kHeatOutline;
    }
  }

  // Box: the bounding box of the hottest pixel's connected hot region (4-neighbour flood fill).
  size_t hottest = heat.size();
  for (size_t i = 0; i < heat.size(); ++i) {
    if (hot[i] && (hottest == heat.size() || heat[i] > heat[hottest])) hottest = i;
  }
  if (hottest == heat.size()) return out;
  std::vector<uint8_t> seen(heat.size(), 0);
  std::vector<size_t> stack = {hottest};
  seen[hottest] = 1;
  HotBox box{w, h, 0, 0};
  while (!stack.empty()) {
    const size_t i = stack.back();
    stack.pop_back();
    const int x = static_cast<int>(i % w);
    const int y = static_cast<int>(i / w);
    box = {std::min(box.x0, x), std::min(box.y0, y), std::max(box.x1, x + 1), std::max(box.y1, y + 1)};
    const int nx[4] = {x - 1, x + 1, x, x};
    const int ny[4] = {y, y, y - 1, y + 1};
    for (int k = 0; k < 4; ++k) {
      if (!is_hot(nx[k], ny[k])) continue;
      const size_t j = static_cast<size_t>(ny[k]) * w + nx[k];
      if (!seen[j]) {
        seen[j] = 1;
        stack.push_back(j);
      }
    }
  }
  out.has_box = true;
  out.box = box;
  for (int y = box.y0; y < box.y1; ++y) {
    for (int x = box.x0; x < box.x1; ++x) {
      const bool on_edge = x < box.x0 + thickness || x >= box.x1 - thickness || y < box.y0 + thickness ||
                           y >= box.y1 - thickness;
      if (on_edge) out.flags[static_cast<size_t>(y) * w + x] |= kHeatBox;
    }
  }
  return out;
}

Result<Overlay> render_overlay(const RgbaImage& display, const float* map, int map_width, int map_height,
                               const Rect& tensor_content, const TensorToDisplay& tensor_to_display,
                               const OverlayOptions& options) {
  if (display.pixels.size() != static_cast<size_t>(std::max(display.width, 0)) * std::max(display.height, 0) * 4) {
    return Error{ErrorCode::kInvalidArgument, "The display image is empty or its size does not match its pixels."};
  }
  if (!(options.opacity >= 0.0f && options.opacity <= 1.0f)) {
    return Error{ErrorCode::kInvalidArgument, "Opacity and threshold must be between 0 and 1."};
  }
  auto layers = heat_layers(map, map_width, map_height, tensor_content, tensor_to_display, display.width,
                            display.height, options.threshold);
  if (!layers) return layers.error();
  const HeatLayers& l = layers.value();
  const ColormapTable& lut = colormap_table(options.colormap);
  Overlay out;
  out.image = display;
  // Fixed-point blend, exact at the ends: a = round(256 * opacity); out = (p * (256 - a) + c * a + 128) >> 8.
  const int a = static_cast<int>(std::lround(options.opacity * 256.0f));
  const int keep = 256 - a;
  static const uint8_t kWhite[3] = {255, 255, 255};
  static const uint8_t kCyan[3] = {0, 255, 255};
  uint8_t* p = out.image.pixels.data();
  for (size_t i = 0; i < l.index.size(); ++i, p += 4) {
    const uint8_t flags = l.flags[i];
    if (!(flags & kHeatCovered)) continue;
    const auto& c = lut[l.index[i]];
    for (int k = 0; k < 3; ++k) p[k] = static_cast<uint8_t>((p[k] * keep + c[k] * a + 128) >> 8);
    const uint8_t* line = options.box && (flags & kHeatBox) ? kCyan : options.outline && (flags & kHeatOutline) ? kWhite : nullptr;
    if (line != nullptr) std::copy(line, line + 3, p);
  }
  if (options.box && l.has_box) {
    out.has_box = true;
    out.box = l.box;
  }
  return out;
}

}  // namespace dermcam

#include "overlay.h"

#include "map_resize.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

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

// Samples the map along display rows; pixels outside the tensor content come out NaN. Per display pixel:
// top = r0[i] (1 - wx) + r0[j] wx, bottom likewise from the next map row, heat = top (1 - wy) + bottom wy.
// The horizontal part depends only on the map row, so it is computed once per map row used (about 2 x 224 rows
// instead of 2 x 768 display rows) and kept while display rows move down: same arithmetic, far fewer taps.
class HeatSampler {
 public:
  HeatSampler(const float* map, int map_width, int map_height, const Rect& content, const TensorToDisplay& m,
              int display_width, int display_height)
      : map_(map),
        map_width_(map_width),
        tx_(axis_taps(display_width, map_width, m.scale_x, m.offset_x, content.x0, content.x1)),
        ty_(axis_taps(display_height, map_height, m.scale_y, m.offset_y, content.y0, content.y1)),
        cached_(2, std::vector<float>(static_cast<size_t>(display_width))) {
    const auto first = std::find(tx_.inside.begin(), tx_.inside.end(), 1);
    inside_begin_ = static_cast<int>(first - tx_.inside.begin());
    inside_end_ = static_cast<int>(std::find(first, tx_.inside.end(), 0) - tx_.inside.begin());
  }

  void row(int y, float* out) {
    const int w = static_cast<int>(tx_.index.size());
    if (!ty_.inside[y]) {
      std::fill(out, out + w, std::numeric_limits<float>::quiet_NaN());
      return;
    }
    const float wy = ty_.weight[y];
    const float* top = horizontal(ty_.index[y]);
    const float* bottom = wy == 0.0f ? top : horizontal(ty_.index[y] + 1);
    const float keep = 1.0f - wy;
    for (int x = 0; x < w; ++x) out[x] = top[x] * keep + bottom[x] * wy;
    // The columns inside the content are one run (display x grows with tensor x).
    std::fill(out, out + inside_begin_, std::numeric_limits<float>::quiet_NaN());
    std::fill(out + inside_end_, out + w, std::numeric_limits<float>::quiet_NaN());
  }

 private:
  // Map row `r` interpolated along x at every display column (two rows kept: rows only move down).
  const float* horizontal(int r) {
    for (int k = 0; k < 2; ++k) {
      if (cached_row_[k] == r) return cached_[k].data();
    }
    const int slot = cached_row_[0] < cached_row_[1] ? 0 : 1;  // evict the upper one
    cached_row_[slot] = r;
    float* out = cached_[slot].data();
    const float* row = map_ + static_cast<size_t>(r) * map_width_;
    const int w = static_cast<int>(tx_.index.size());
    for (int x = 0; x < w; ++x) {
      const int i = tx_.index[x];
      const float wx = tx_.weight[x];
      const int j = wx == 0.0f ? i : i + 1;
      out[x] = row[i] * (1.0f - wx) + row[j] * wx;
    }
    return out;
  }

  const float* map_;
  int map_width_;
  AxisTaps tx_;
  AxisTaps ty_;
  std::vector<std::vector<float>> cached_;
  int cached_row_[2] = {-1, -1};
  int inside_begin_ = 0;
  int inside_end_ = 0;
};

}  // namespace

std::vector<float> heat_on_display(const float* map, int map_width, int map_height, const Rect& tensor_content,
                                   const TensorToDisplay& m, int display_width, int display_height) {
  HeatSampler sampler(map, map_width, map_height, tensor_content, m, display_width, display_height);
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

namespace {

// The bounding box of the 4-connected region of `hot` pixels that contains `seed` (scanline flood fill: whole
// runs of a row at a time, then the runs touching them in the rows above and below).
HotBox hot_region_box(std::vector<uint8_t> open, int w, int h, size_t seed) {  // open: hot and not yet filled
  std::vector<std::pair<int, int>> stack = {{static_cast<int>(seed % w), static_cast<int>(seed / w)}};
  HotBox box{w, h, 0, 0};
  while (!stack.empty()) {
    const auto [sx, y] = stack.back();
    stack.pop_back();
    uint8_t* row = &open[static_cast<size_t>(y) * w];
    if (!row[sx]) continue;
    int x0 = sx;
    int x1 = sx + 1;
    while (x0 > 0 && row[x0 - 1]) --x0;
    while (x1 < w && row[x1]) ++x1;
    std::fill(row + x0, row + x1, 0);
    box = {std::min(box.x0, x0), std::min(box.y0, y), std::max(box.x1, x1), std::max(box.y1, y + 1)};
    for (const int ny : {y - 1, y + 1}) {
      if (ny < 0 || ny >= h) continue;
      const uint8_t* next = &open[static_cast<size_t>(ny) * w];
      for (int x = x0; x < x1; ++x) {
        if (next[x] && (x == x0 || !next[x - 1])) stack.push_back({x, ny});
      }
    }
  }
  return box;
}

}  // namespace

Result<HeatLayers> heat_layers(const float* map, int map_width, int map_height, const Rect& tensor_content,
                               const TensorToDisplay& tensor_to_display, int display_width, int display_height,
                               float threshold) {
  auto valid = validate(display_width, display_height, map, map_width, map_height, tensor_to_display, threshold);
  if (!valid) return valid.error();
  const int w = display_width;
  const int h = display_height;
  const size_t n = static_cast<size_t>(w) * h;
  HeatLayers out;
  out.width = w;
  out.height = h;
  out.index.assign(n, 0);
  out.flags.assign(n, 0);
  std::vector<uint8_t> hot(n, 0);

  // One pass over the rows: heat, colormap index, coverage, the hot mask and the hottest pixel (the first of
  // the largest heat at or above the threshold).
  HeatSampler sampler(map, map_width, map_height, tensor_content, tensor_to_display, w, h);
  std::vector<float> heat(static_cast<size_t>(w));
  size_t hottest = n;
  float hottest_heat = 0.0f;
  for (int y = 0; y < h; ++y) {
    sampler.row(y, heat.data());
    const size_t base = static_cast<size_t>(y) * w;
    // (restrict: byte stores could alias the floats otherwise, and the loop would not vectorize)
    uint8_t* __restrict index = &out.index[base];
    uint8_t* __restrict flags = &out.flags[base];
    uint8_t* __restrict row_hot = &hot[base];
    const float* __restrict row_heat = heat.data();
    for (int x = 0; x < w; ++x) {
      const float v = row_heat[x];
      // colormap_index(v) without branches (NaN, outside the content, gives 0 like v <= 0).
      const float clamped = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
      index[x] = static_cast<uint8_t>(static_cast<int>(255.0f * clamped));
      flags[x] = v == v ? kHeatCovered : 0;
      row_hot[x] = v >= threshold;  // false for NaN
    }
    for (int x = 0; x < w; ++x) {
      if (row_hot[x] && (hottest == n || heat[x] > hottest_heat)) {
        hottest = base + x;
        hottest_heat = heat[x];
      }
    }
  }
  const int thickness = std::max(1, std::max(w, h) / 400);

  // Outline: a hot pixel whose (2t+1)^2 neighbourhood leaves the hot region (or the image); a separable
  // erosion with sliding-window counts, O(pixels) whatever the thickness: along each row, then down the
  // columns with one running count per column (row by row, so memory is read in order).
  const int window = 2 * thickness + 1;
  std::vector<uint8_t> row_full(n, 0);
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = &hot[static_cast<size_t>(y) * w];
    uint8_t* full = &row_full[static_cast<size_t>(y) * w];
    int count = 0;
    for (int x = -thickness; x < w; ++x) {
      const int enter = x + thickness;
      const int leave = x - thickness - 1;
      if (enter < w) count += row[enter];
      if (leave >= 0) count -= row[leave];
      if (x >= 0) full[x] = count == window;
    }
  }
  std::vector<int> column_count(static_cast<size_t>(w), 0);
  for (int y = -thickness; y < h; ++y) {
    const int enter = y + thickness;
    const int leave = y - thickness - 1;
    int* __restrict counts = column_count.data();
    if (enter < h) {
      const uint8_t* __restrict full = &row_full[static_cast<size_t>(enter) * w];
      for (int x = 0; x < w; ++x) counts[x] += full[x];
    }
    if (leave >= 0) {
      const uint8_t* __restrict full = &row_full[static_cast<size_t>(leave) * w];
      for (int x = 0; x < w; ++x) counts[x] -= full[x];
    }
    if (y < 0) continue;
    const uint8_t* __restrict row = &hot[static_cast<size_t>(y) * w];
    uint8_t* __restrict flags = &out.flags[static_cast<size_t>(y) * w];
    for (int x = 0; x < w; ++x) flags[x] |= (row[x] & static_cast<uint8_t>(counts[x] != window)) * kHeatOutline;
  }

  // Box: the bounding box of the hottest pixel's connected hot region (4 neighbours).
  if (hottest == n) return out;
  const HotBox box = hot_region_box(hot, w, h, hottest);
  out.has_box = true;
  out.box = box;
  for (int y = box.y0; y < box.y1; ++y) {
    uint8_t* flags = &out.flags[static_cast<size_t>(y) * w];
    const bool edge_row = y < box.y0 + thickness || y >= box.y1 - thickness;
    const int left_end = edge_row ? box.x1 : std::min(box.x1, box.x0 + thickness);
    for (int x = box.x0; x < left_end; ++x) flags[x] |= kHeatBox;
    for (int x = std::max(left_end, box.x1 - thickness); x < box.x1; ++x) flags[x] |= kHeatBox;
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

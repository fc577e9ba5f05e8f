#include "overlay.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "map_resize.h"

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

  // The two horizontally interpolated map rows display row y blends, with the weight of the lower one; false
  // when the row lies outside the content.
  bool sources(int y, const float** top, const float** bottom, float* wy) {
    if (!ty_.inside[y]) return false;
    *wy = ty_.weight[y];
    *top = horizontal(ty_.index[y]);
    *bottom = *wy == 0.0f ? *top : horizontal(ty_.index[y] + 1);
    return true;
  }

  void row(int y, float* out) {
    const int w = static_cast<int>(tx_.index.size());
    const float* top = nullptr;
    const float* bottom = nullptr;
    float wy = 0.0f;
    if (!sources(y, &top, &bottom, &wy)) {
      std::fill(out, out + w, std::numeric_limits<float>::quiet_NaN());
      return;
    }
    const float keep = 1.0f - wy;
    for (int x = inside_begin_; x < inside_end_; ++x) out[x] = top[x] * keep + bottom[x] * wy;
    std::fill(out, out + inside_begin_, std::numeric_limits<float>::quiet_NaN());
    std::fill(out + inside_end_, out + w, std::numeric_limits<float>::quiet_NaN());
  }

  // The columns inside the content are one run [begin, end) (display x grows with tensor x).
  int inside_begin() const { return inside_begin_; }
  int inside_end() const { return inside_end_; }

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
    for (int x = inside_begin_; x < inside_end_; ++x) {  // only the content's columns are ever read
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

// The per-pixel work of heat_layers, sixteen pixels at a time with the compilers' vector extensions (SIMD128
// in wasm, SSE natively): one code path, the same IEEE arithmetic lane by lane as the scalar definitions.
typedef float F4 __attribute__((vector_size(16)));
typedef int32_t I4 __attribute__((vector_size(16)));
typedef uint8_t B16 __attribute__((vector_size(16)));

template <typename To, typename From>
inline To bits_as(const From& from) {
  static_assert(sizeof(To) == sizeof(From));
  To to;
  std::memcpy(&to, &from, sizeof to);
  return to;
}

// The low byte of each 32-bit lane of a, b, c, d (values 0..255), in order.
inline B16 low_bytes(I4 a, I4 b, I4 c, I4 d) {
  const B16 ab = __builtin_shufflevector(bits_as<B16>(a), bits_as<B16>(b), 0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16,
                                         20, 24, 28);
  const B16 cd = __builtin_shufflevector(bits_as<B16>(c), bits_as<B16>(d), 0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16,
                                         20, 24, 28);
  return __builtin_shufflevector(ab, cd, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
}

inline B16 max16(B16 a, B16 b) {
  const B16 greater = a > b;  // unsigned bytes: all ones or zero per lane
  return (greater & a) | (~greater & b);
}

// Heat = top (1 - wy) + bottom wy (HeatSampler::row) for four pixels: its colormap index (0 for NaN) and
// whether it is hot (heat >= threshold, never for NaN: all ones or zero per lane).
inline void classify4(const float* top, const float* bottom, F4 keep, F4 wy, F4 threshold, I4* index, I4* hot) {
  const F4 zero = {0, 0, 0, 0};
  const F4 one = {1, 1, 1, 1};
  F4 upper;
  F4 lower;
  std::memcpy(&upper, top, sizeof upper);
  std::memcpy(&lower, bottom, sizeof lower);
  const F4 v = upper * keep + lower * wy;
  const I4 positive = v > zero;  // all ones or zero per lane
  const I4 below_one = v < one;
  const F4 clamped = bits_as<F4>(positive & ((below_one & bits_as<I4>(v)) | (~below_one & bits_as<I4>(one))));
  const F4 scale = {255, 255, 255, 255};
  *index = __builtin_convertvector(scale * clamped, I4);
  *hot = v >= threshold;
}

// One display row inside the content, columns [begin, end): colormap index and the hot bytes (0 or 1).
// Returns the row's largest colormap index (0 for an empty range).
uint8_t classify_row(const float* top, const float* bottom, float wy, int begin, int end, float threshold,
                     uint8_t* index, uint8_t* hot) {
  const float keep_1 = 1.0f - wy;
  const F4 keep = {keep_1, keep_1, keep_1, keep_1};
  const F4 wy4 = {wy, wy, wy, wy};
  const F4 limit = {threshold, threshold, threshold, threshold};
  const B16 ones = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  B16 largest = {};
  int x = begin;
  for (; x + 16 <= end; x += 16) {
    I4 i0, i1, i2, i3, h0, h1, h2, h3;
    classify4(top + x, bottom + x, keep, wy4, limit, &i0, &h0);
    classify4(top + x + 4, bottom + x + 4, keep, wy4, limit, &i1, &h1);
    classify4(top + x + 8, bottom + x + 8, keep, wy4, limit, &i2, &h2);
    classify4(top + x + 12, bottom + x + 12, keep, wy4, limit, &i3, &h3);
    const B16 index16 = low_bytes(i0, i1, i2, i3);
    const B16 hot16 = low_bytes(h0, h1, h2, h3) & ones;
    std::memcpy(index + x, &index16, 16);
    std::memcpy(hot + x, &hot16, 16);
    largest = max16(largest, index16);
  }
  uint8_t result = 0;
  for (int lane = 0; lane < 16; ++lane) result = std::max(result, static_cast<uint8_t>(largest[lane]));
  for (; x < end; ++x) {
    const float v = top[x] * keep_1 + bottom[x] * wy;
    index[x] = static_cast<uint8_t>(colormap_index(v));
    hot[x] = v >= threshold;
    result = std::max(result, index[x]);
  }
  return result;
}

// The row's hottest pixel: the first of its largest heat at or above the threshold, as that heat's bits (heats
// >= 0 order like their bits as integers; -0 counts as +0), or -1 when nothing in the row is hot. Only pixels
// with the row's largest colormap index can hold it (the index grows with the heat), so only they are read.
int32_t row_hottest(const float* top, const float* bottom, float wy, int begin, int end, const uint8_t* index,
                    uint8_t largest, int* at) {
  int32_t best = -1;
  const float keep = 1.0f - wy;
  B16 wanted;
  for (int lane = 0; lane < 16; ++lane) wanted[lane] = largest;
  for (int x = begin; x < end; ++x) {
    if (x + 16 <= end) {  // skip sixteen pixels at a time while none has the index
      B16 chunk;
      std::memcpy(&chunk, index + x, 16);
      const B16 equal = chunk == wanted;
      uint64_t halves[2];
      std::memcpy(halves, &equal, 16);
      if ((halves[0] | halves[1]) == 0) {
        x += 15;
        continue;
      }
    }
    if (index[x] != largest) continue;
    const float v = top[x] * keep + bottom[x] * wy;
    if (!(v >= 0.0f)) continue;
    const int32_t bits = bits_as<int32_t>(v + 0.0f);
    if (bits > best) {
      best = bits;
      *at = x;
    }
  }
  return best;
}

// The hot pixels of every display row as runs [begin, end) in x: the outline and the box are computed on runs,
// so their cost follows the number of region edges, not the number of pixels.
struct HotRuns {
  std::vector<int> begin;
  std::vector<int> end;
  std::vector<size_t> row_start;  // runs of row y: [row_start[y], row_start[y + 1])

  size_t first(int y) const { return row_start[static_cast<size_t>(y)]; }
  size_t last(int y) const { return row_start[static_cast<size_t>(y) + 1]; }
};

// Appends the runs of one row of 0/1 bytes, skipping eight equal bytes at a time (smooth maps have few runs).
void append_runs(const uint8_t* hot, int w, HotRuns* runs) {
  constexpr uint64_t kAllHot = 0x0101010101010101ull;
  int x = 0;
  while (x < w) {
    // Skip cold pixels.
    while (x + 8 <= w) {
      uint64_t word;
      std::memcpy(&word, hot + x, 8);
      if (word != 0) break;
      x += 8;
    }
    while (x < w && !hot[x]) ++x;
    if (x >= w) break;
    const int begin = x;
    while (x + 8 <= w) {
      uint64_t word;
      std::memcpy(&word, hot + x, 8);
      if (word != kAllHot) break;
      x += 8;
    }
    while (x < w && hot[x]) ++x;
    runs->begin.push_back(begin);
    runs->end.push_back(x);
  }
}

// The outline: every hot pixel whose (2t+1)^2 square holds a cold pixel or leaves the image. On runs: a pixel is
// "row-full" when its run covers [x - t, x + t] (runs never leave the image), "full" when it is row-full in all
// rows y - t .. y + t (which must exist); the outline is hot minus full.
void collect_outline(const HotRuns& runs, int w, int h, int t, std::vector<uint32_t>* outline) {
  std::vector<std::pair<int, int>> full;
  std::vector<std::pair<int, int>> next;
  for (int y = 0; y < h; ++y) {
    full.clear();
    if (y - t >= 0 && y + t < h) {
      for (size_t r = runs.first(y - t); r < runs.last(y - t); ++r) {
        if (runs.end[r] - runs.begin[r] > 2 * t) full.push_back({runs.begin[r] + t, runs.end[r] - t});
      }
      for (int yy = y - t + 1; yy <= y + t && !full.empty(); ++yy) {  // intersect with each row's row-full runs
        next.clear();
        size_t i = 0;
        size_t r = runs.first(yy);
        while (i < full.size() && r < runs.last(yy)) {
          const int b = std::max(full[i].first, runs.begin[r] + t);
          const int e = std::min(full[i].second, runs.end[r] - t);
          if (b < e) next.push_back({b, e});
          if (full[i].second < runs.end[r] - t)
            ++i;
          else
            ++r;
        }
        full.swap(next);
      }
    }
    // Every full interval lies inside one hot run of this row: the rest of each run is outline.
    const uint32_t row = static_cast<uint32_t>(y) * static_cast<uint32_t>(w);
    size_t i = 0;
    for (size_t r = runs.first(y); r < runs.last(y); ++r) {
      int x = runs.begin[r];
      for (; i < full.size() && full[i].second <= runs.end[r]; ++i) {
        for (; x < full[i].first; ++x) outline->push_back(row + x);
        x = full[i].second;
      }
      for (; x < runs.end[r]; ++x) outline->push_back(row + x);
    }
  }
}

// The bounding box of the 4-connected hot region holding pixel (x, y): a search over runs, where runs of
// neighbouring rows touch when they share a column.
HotBox region_box(const HotRuns& runs, int h, int x, int y) {
  size_t seed = runs.first(y);
  while (runs.end[seed] <= x) ++seed;
  std::vector<uint8_t> seen(runs.begin.size(), 0);
  std::vector<std::pair<size_t, int>> stack = {{seed, y}};
  seen[seed] = 1;
  HotBox box{runs.begin[seed], y, runs.end[seed], y + 1};
  while (!stack.empty()) {
    const auto [r, ry] = stack.back();
    stack.pop_back();
    box = {std::min(box.x0, runs.begin[r]), std::min(box.y0, ry), std::max(box.x1, runs.end[r]),
           std::max(box.y1, ry + 1)};
    for (const int ny : {ry - 1, ry + 1}) {
      if (ny < 0 || ny >= h) continue;
      // The first run of row ny ending after this run begins, then every one starting before it ends.
      const auto row_ends = runs.end.begin();
      size_t n = std::upper_bound(row_ends + runs.first(ny), row_ends + runs.last(ny), runs.begin[r]) - row_ends;
      for (; n < runs.last(ny) && runs.begin[n] < runs.end[r]; ++n) {
        if (!seen[n]) {
          seen[n] = 1;
          stack.push_back({n, ny});
        }
      }
    }
  }
  return box;
}

}  // namespace

std::array<HotBox, 4> box_edges(const HotBox& b, int t) {
  return {HotBox{b.x0, b.y0, b.x1, std::min(b.y1, b.y0 + t)}, HotBox{b.x0, std::max(b.y0, b.y1 - t), b.x1, b.y1},
          HotBox{b.x0, b.y0, std::min(b.x1, b.x0 + t), b.y1}, HotBox{std::max(b.x0, b.x1 - t), b.y0, b.x1, b.y1}};
}

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
  HotRuns runs;
  runs.row_start.reserve(static_cast<size_t>(h) + 1);

  // One pass over the rows: colormap index, coverage, the hot runs and the hottest pixel (the first of the
  // largest heat at or above the threshold). Pixels outside the content stay 0: no heat, not covered, cold.
  HeatSampler sampler(map, map_width, map_height, tensor_content, tensor_to_display, w, h);
  std::vector<uint8_t> hot(static_cast<size_t>(w), 0);
  const int begin = sampler.inside_begin();
  const int end = sampler.inside_end();
  int hottest_x = -1;
  int hottest_y = -1;
  int32_t hottest_bits = -1;
  int hottest_index = -1;  // the colormap index of the hottest heat so far
  out.covered = {begin, 0, end, 0};
  for (int y = 0; y < h; ++y) {
    runs.row_start.push_back(runs.begin.size());
    const float* top = nullptr;
    const float* bottom = nullptr;
    float wy = 0.0f;
    if (!sampler.sources(y, &top, &bottom, &wy)) continue;
    const size_t base = static_cast<size_t>(y) * w;
    if (out.covered.y1 == 0) out.covered.y0 = y;
    out.covered.y1 = y + 1;  // the rows inside the content are one run too
    const uint8_t largest = classify_row(top, bottom, wy, begin, end, threshold, &out.index[base], hot.data());
    // A row whose largest index is below the hottest heat's cannot beat it.
    if (largest >= hottest_index) {
      int at = -1;
      const int32_t row_best = row_hottest(top, bottom, wy, begin, end, &out.index[base], largest, &at);
      if (row_best > hottest_bits && hot[at]) {  // strictly: an earlier row keeps a tie
        hottest_bits = row_best;
        hottest_index = largest;
        hottest_y = y;
        hottest_x = at;
      }
    }
    append_runs(hot.data(), w, &runs);
  }
  runs.row_start.push_back(runs.begin.size());
  if (out.covered.y1 == 0 || begin >= end) out.covered = {};
  out.line_width = std::max(1, std::max(w, h) / 400);
  collect_outline(runs, w, h, out.line_width, &out.outline);
  // Box: the bounding box of the hottest pixel's connected hot region (4 neighbours).
  if (hottest_y >= 0) {
    out.has_box = true;
    out.box = region_box(runs, h, hottest_x, hottest_y);
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
  uint8_t* pixels = out.image.pixels.data();
  for (int y = l.covered.y0; y < l.covered.y1; ++y) {
    const size_t row = static_cast<size_t>(y) * l.width;
    for (int x = l.covered.x0; x < l.covered.x1; ++x) {
      uint8_t* p = pixels + (row + x) * 4;
      const auto& c = lut[l.index[row + x]];
      for (int k = 0; k < 3; ++k) p[k] = static_cast<uint8_t>((p[k] * keep + c[k] * a + 128) >> 8);
    }
  }
  auto paint = [pixels](size_t i, uint8_t r, uint8_t g, uint8_t b) {
    pixels[i * 4] = r;
    pixels[i * 4 + 1] = g;
    pixels[i * 4 + 2] = b;
  };
  if (options.outline) {
    for (const uint32_t i : l.outline) paint(i, 255, 255, 255);
  }
  if (options.box && l.has_box) {
    for (const HotBox& edge : box_edges(l.box, l.line_width)) {
      for (int y = edge.y0; y < edge.y1; ++y) {
        for (int x = edge.x0; x < edge.x1; ++x) paint(static_cast<size_t>(y) * l.width + x, 0, 255, 255);
      }
    }
  }
  if (options.box && l.has_box) {
    out.has_box = true;
    out.box = l.box;
  }
  return out;
}

}  // namespace dermcam

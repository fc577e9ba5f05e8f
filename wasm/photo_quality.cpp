#include "photo_quality.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

namespace dermcam {
namespace {

constexpr int kMaxAspect = 4;
constexpr uint8_t kHighlightLevel = 235;
constexpr uint8_t kShadowLevel = 16;
constexpr double kLuminanceFloor = 0.05;  // keeps a nearly black photo's sharpness near 0 instead of noise / noise
// How many times over a faded photo's sharpness, with the fade undone, must pass min_sharpness for the fade to be the
// cause of its blur (photo_quality.h, washed_out): 2 names 95% of faded lesion photos refused as blurry and 0.8% of
// genuinely blurred ones (generated, 40 of each type; 1.0 would name 13% of the blurred ones). On the report's unseen
// photos (20 of each type, as delivered) it names 14 of 477 blurred photos refused, all pale ones blurred by sigma 1.5
// or less, which the model still reads; 2.5 would name 2 of them but 14 fewer faded ones.
constexpr double kFadeExplainsBlur = 2;
// The share of the spot clipped, concentrated there, from which glare is a likely cause (photo_quality.h).
constexpr double kLikelyGlare = 0.002;

struct Tap {
  int first = 0;                // first source pixel
  std::vector<double> weights;  // for first, first + 1, ...; they sum to 1
};

// Area-averaging taps: output cell i covers [start + i * step, start + (i + 1) * step) of the source axis.
std::vector<Tap> area_taps(double start, double length, int out) {
  std::vector<Tap> taps(out);
  const double step = length / out;
  for (int i = 0; i < out; ++i) {
    const double a = start + i * step;
    const double b = a + step;
    Tap& tap = taps[i];
    tap.first = static_cast<int>(std::floor(a));
    for (int j = tap.first; j < b; ++j) {
      const double overlap = std::min<double>(b, j + 1) - std::max<double>(a, j);
      tap.weights.push_back(overlap / step);
    }
  }
  return taps;
}

struct ExposureCounts {
  int64_t samples = 0;
  int64_t highlights = 0;
  int64_t spot_samples = 0;
  int64_t spot_highlights = 0;
  int64_t shadows = 0;
  int64_t chroma = 0;                  // sum of max - min channel over samples that are not black
  int64_t brightest = 0;               // sum of max channel over the same samples
  std::array<int64_t, 256> darkest{};  // histogram of the smallest channel: the black point
  // Histogram of |d(R - G)| + |d(B - G)| between horizontally adjacent samples (0..1020): colour noise.
  std::array<int64_t, 1021> chroma_steps{};
};

// Luma (x 255 x 256) of one pixel, and its share of the exposure and colour counts; `in_spot`: it lies in the
// spot (the middle half of the region along each axis).
int sample(const uint8_t* p, bool in_spot, ExposureCounts& counts) {
  const int r = p[0];
  const int g = p[1];
  const int b = p[2];
  const int hi = std::max(r, std::max(g, b));
  const int lo = std::min(r, std::min(g, b));
  const bool dark = hi <= kShadowLevel;
  counts.samples += 1;
  counts.highlights += lo >= kHighlightLevel;
  counts.spot_samples += in_spot;
  counts.spot_highlights += in_spot && lo >= kHighlightLevel;
  counts.shadows += dark;
  counts.darkest[lo] += 1;
  if (!dark) {
    counts.chroma += hi - lo;
    counts.brightest += hi;
  }
  return 54 * r + 183 * g + 19 * b;
}

}  // namespace

const std::vector<QualityThresholdRange>& quality_threshold_ranges() {
  static const PhotoQualityThresholds d;
  static const std::vector<QualityThresholdRange> ranges = {
      {"minSide", 1, 4096, true, static_cast<double>(d.min_side)},
      {"minSharpness", 0, 10, false, d.min_sharpness},
      {"minBrightLevel", 0, 1, false, d.min_bright_level},
      {"maxShadows", 0, 1, false, d.max_shadows},
      {"maxHighlights", 0, 1, false, d.max_highlights},
      {"maxSpotHighlights", 0, 1, false, d.max_spot_highlights},
      {"minColourfulness", 0, 1, false, d.min_colourfulness},
      {"maxColourNoise", 0, 4, false, d.max_colour_noise},
      {"minSpotSharpness", 0, 10, false, d.min_spot_sharpness},
      {"maxDarkLevel", 0, 1, false, d.max_dark_level},
      {"fadedDarkLevel", 0, 1, false, d.faded_dark_level},
  };
  return ranges;
}

Result<PhotoQualityThresholds> check_quality_thresholds(const PhotoQualityThresholds& t) {
  const double values[] = {static_cast<double>(t.min_side),
                           t.min_sharpness,
                           t.min_bright_level,
                           t.max_shadows,
                           t.max_highlights,
                           t.max_spot_highlights,
                           t.min_colourfulness,
                           t.max_colour_noise,
                           t.min_spot_sharpness,
                           t.max_dark_level,
                           t.faded_dark_level};
  const auto& ranges = quality_threshold_ranges();
  for (size_t i = 0; i < ranges.size(); ++i) {
    // NaN fails both comparisons, so it is refused too.
    if (!(values[i] >= ranges[i].min && values[i] <= ranges[i].max)) {
      return Error{ErrorCode::kInvalidArgument, std::string("The quality threshold '") + ranges[i].name +
                                                    "' is outside its range (wasm/photo_quality.h)."};
    }
  }
  return t;
}

const char* quality_code_name(QualityCode code) {
  switch (code) {
    case QualityCode::kTooSmall:
      return "too_small";
    case QualityCode::kTooDark:
      return "too_dark";
    case QualityCode::kOverexposed:
      return "overexposed";
    case QualityCode::kGlare:
      return "glare";
    case QualityCode::kWashedOut:
      return "washed_out";
    case QualityCode::kNoColour:
      return "no_colour";
    case QualityCode::kNoisy:
      return "noisy";
    case QualityCode::kBlurry:
      return "blurry";
  }
  return "unknown";
}

Result<PhotoQuality> measure_photo_quality(const uint8_t* pixels, int width, int height, int channels,
                                           const Rect& region, int photo_width, int photo_height) {
  if (pixels == nullptr || width < 1 || height < 1 || (channels != 3 && channels != 4)) {
    return Error{ErrorCode::kInvalidArgument, "Photo quality needs a non-empty RGB or RGBA image."};
  }
  if (!(region.x0 >= 0 && region.y0 >= 0 && region.x1 <= width && region.y1 <= height && region.width() > 0 &&
        region.height() > 0)) {
    return Error{ErrorCode::kInvalidArgument, "The region to judge must lie inside the image and not be empty."};
  }
  if (photo_width < 1 || photo_height < 1) {
    return Error{ErrorCode::kInvalidArgument, "The photo's size must be at least 1 x 1."};
  }
  PhotoQuality q;
  q.photo_width = photo_width;
  q.photo_height = photo_height;
  const double aspect = region.width() / region.height();
  const double clamped = std::clamp(aspect, 1.0 / kMaxAspect, static_cast<double>(kMaxAspect));
  q.analysis_width =
      clamped >= 1 ? static_cast<int>(std::lround(kQualityAnalysisSide * clamped)) : kQualityAnalysisSide;
  q.analysis_height =
      clamped >= 1 ? kQualityAnalysisSide : static_cast<int>(std::lround(kQualityAnalysisSide / clamped));
  const int gw = q.analysis_width;
  const int gh = q.analysis_height;
  // The region is sampled on a lattice of one pixel every `stride` (the centre pixel of each stride x stride
  // block), at least two samples per grid cell along each axis: a 12 MP photo's 768 px display region is read
  // at every 3rd pixel (65 k samples instead of 590 k: the gate's cost), a 128 px photo at every pixel.
  const int stride = std::max(1, static_cast<int>(std::floor(std::min(region.width() / gw, region.height() / gh) / 2)));
  const int x_begin = static_cast<int>(std::floor(region.x0));
  const int y_begin = static_cast<int>(std::floor(region.y0));
  const int x_end = std::min(width, static_cast<int>(std::ceil(region.x1)));
  const int y_end = std::min(height, static_cast<int>(std::ceil(region.y1)));
  const int lw = (x_end - x_begin + stride - 1) / stride;
  const int lh = (y_end - y_begin + stride - 1) / stride;
  const std::vector<Tap> xs = area_taps((region.x0 - x_begin) / stride, region.width() / stride, gw);
  const std::vector<Tap> ys = area_taps((region.y0 - y_begin) / stride, region.height() / stride, gh);

  // Luma in integer weights summing to 256 (Rec. 709 rounded), exposure and colour counted on the same samples;
  // each lattice row is area-averaged into the grid's columns as it is read.
  constexpr double kLumaScale = 1.0 / (255.0 * 256.0);
  std::vector<double> rows(static_cast<size_t>(lh) * gw, 0.0);
  std::vector<int> line(lw, 0);
  ExposureCounts counts;
  const double spot_x0 = region.x0 + region.width() / 4;
  const double spot_x1 = region.x1 - region.width() / 4;
  const double spot_y0 = region.y0 + region.height() / 4;
  const double spot_y1 = region.y1 - region.height() / 4;
  for (int j = 0; j < lh; ++j) {
    const int y = std::min(y_begin + j * stride + stride / 2, y_end - 1);
    const bool spot_row = y + 0.5 >= spot_y0 && y + 0.5 < spot_y1;
    const uint8_t* row = pixels + static_cast<size_t>(y) * width * channels;
    int previous_rg = 0;
    int previous_bg = 0;
    for (int i = 0; i < lw; ++i) {
      const int x = std::min(x_begin + i * stride + stride / 2, x_end - 1);
      const uint8_t* p = row + static_cast<size_t>(x) * channels;
      line[i] = sample(p, spot_row && x + 0.5 >= spot_x0 && x + 0.5 < spot_x1, counts);
      const int rg = p[0] - p[1];
      const int bg = p[2] - p[1];
      if (i > 0) counts.chroma_steps[std::abs(rg - previous_rg) + std::abs(bg - previous_bg)] += 1;
      previous_rg = rg;
      previous_bg = bg;
    }
    double* out = &rows[static_cast<size_t>(j) * gw];
    for (int i = 0; i < gw; ++i) {
      double sum = 0;
      for (size_t k = 0; k < xs[i].weights.size(); ++k)
        sum += xs[i].weights[k] * line[std::min(xs[i].first + static_cast<int>(k), lw - 1)];
      out[i] = sum * kLumaScale;
    }
  }
  q.highlights = static_cast<double>(counts.highlights) / counts.samples;
  q.spot_highlights = counts.spot_samples > 0 ? static_cast<double>(counts.spot_highlights) / counts.spot_samples : 0.0;
  q.shadows = static_cast<double>(counts.shadows) / counts.samples;
  q.colourfulness = counts.brightest > 0 ? static_cast<double>(counts.chroma) / counts.brightest : 0.0;
  // The black point: the smallest level with at least 1% of the samples at or below it.
  int64_t below = 0;
  for (size_t v = 0; v < counts.darkest.size(); ++v) {
    below += counts.darkest[v];
    if (100 * below >= counts.samples) {
      q.dark_level = v / 255.0;
      break;
    }
  }
  int64_t steps = 0;
  for (int64_t n : counts.chroma_steps) steps += n;
  int64_t seen = 0;
  for (size_t v = 0; v < counts.chroma_steps.size() && steps > 0; ++v) {
    seen += counts.chroma_steps[v];
    if (2 * seen >= steps) {
      q.colour_noise = v / 255.0;
      break;
    }
  }

  std::vector<double> grid(static_cast<size_t>(gw) * gh, 0.0);
  for (int j = 0; j < gh; ++j) {
    for (size_t k = 0; k < ys[j].weights.size(); ++k) {
      const int y = std::min(ys[j].first + static_cast<int>(k), lh - 1);
      const double w = ys[j].weights[k];
      for (int i = 0; i < gw; ++i) grid[static_cast<size_t>(j) * gw + i] += w * rows[static_cast<size_t>(y) * gw + i];
    }
  }

  double sum = 0;
  for (double v : grid) sum += v;
  q.mean_luminance = sum / grid.size();
  double deviation = 0;
  for (double v : grid) deviation += (v - q.mean_luminance) * (v - q.mean_luminance);
  q.contrast = std::sqrt(deviation / grid.size());

  double laplacian = 0;
  size_t interior = 0;
  for (int y = 1; y + 1 < gh; ++y) {
    for (int x = 1; x + 1 < gw; ++x) {
      const size_t i = static_cast<size_t>(y) * gw + x;
      const double l = grid[i - 1] + grid[i + 1] + grid[i - gw] + grid[i + gw] - 4 * grid[i];
      laplacian += l * l;
      ++interior;
    }
  }
  q.sharpness = interior ? std::sqrt(laplacian / interior) / (q.mean_luminance + kLuminanceFloor) : 0.0;

  // The spot (the middle half of the grid along each axis): its own sharpness, and its Weber contrast against the
  // rest of the region.
  const int sx0 = gw / 4, sx1 = gw - gw / 4, sy0 = gh / 4, sy1 = gh - gh / 4;
  double spot_sum = 0, rest_sum = 0;
  size_t spot_cells = 0;
  for (int y = 0; y < gh; ++y) {
    for (int x = 0; x < gw; ++x) {
      const double v = grid[static_cast<size_t>(y) * gw + x];
      if (x >= sx0 && x < sx1 && y >= sy0 && y < sy1) {
        spot_sum += v;
        ++spot_cells;
      } else {
        rest_sum += v;
      }
    }
  }
  const size_t rest_cells = grid.size() - spot_cells;
  const double spot_mean = spot_cells ? spot_sum / spot_cells : q.mean_luminance;
  const double rest_mean = rest_cells ? rest_sum / rest_cells : q.mean_luminance;
  q.spot_contrast = std::fabs(spot_mean - rest_mean) / (rest_mean + kLuminanceFloor);
  double spot_laplacian = 0;
  size_t spot_interior = 0;
  // Only cells whose four neighbours are in the spot too: the step from the skin around it is not its detail.
  for (int y = sy0 + 1; y < sy1 - 1; ++y) {
    for (int x = sx0 + 1; x < sx1 - 1; ++x) {
      const size_t i = static_cast<size_t>(y) * gw + x;
      const double l = grid[i - 1] + grid[i + 1] + grid[i - gw] + grid[i + gw] - 4 * grid[i];
      spot_laplacian += l * l;
      ++spot_interior;
    }
  }
  q.spot_sharpness = spot_interior ? std::sqrt(spot_laplacian / spot_interior) / (spot_mean + kLuminanceFloor) : 0.0;

  std::vector<double> sorted = grid;
  const size_t rank = static_cast<size_t>(std::floor(0.95 * (sorted.size() - 1)));
  std::nth_element(sorted.begin(), sorted.begin() + rank, sorted.end());
  q.bright_level = sorted[rank];
  return q;
}

Result<PhotoQuality> measure_region_on_display(const RgbaImage& display, int photo_width, int photo_height,
                                               const Rect& region) {
  if (photo_width < 1 || photo_height < 1) return Error{ErrorCode::kInvalidArgument, "The photo is empty."};
  const double sx = static_cast<double>(display.width) / photo_width;
  const double sy = static_cast<double>(display.height) / photo_height;
  const Rect on_display{std::max(0.0, region.x0 * sx), std::max(0.0, region.y0 * sy),
                        std::min<double>(display.width, region.x1 * sx),
                        std::min<double>(display.height, region.y1 * sy)};
  return measure_photo_quality(display.pixels.data(), display.width, display.height, 4, on_display,
                               std::max(1, static_cast<int>(std::lround(region.width()))),
                               std::max(1, static_cast<int>(std::lround(region.height()))));
}

double unfaded_sharpness(const PhotoQuality& q) {
  // A fade by a (v -> a + (1 - a) v) scales the Laplacian by 1 - a and lifts the mean luma to a + (1 - a) m; undone,
  // the sharpness is the Laplacian over (m - a) + 0.05 (1 - a), all in the faded photo's terms.
  const double a = q.dark_level;
  const double denominator = q.mean_luminance - a + kLuminanceFloor * (1 - a);
  return denominator > 0 ? q.sharpness * (q.mean_luminance + kLuminanceFloor) / denominator : 0.0;
}

std::vector<QualityIssue> judge_photo_quality(const PhotoQuality& q, const PhotoQualityThresholds& t) {
  std::vector<QualityIssue> issues;
  const int side = std::min(q.photo_width, q.photo_height);
  if (side < t.min_side)
    issues.push_back({QualityCode::kTooSmall, static_cast<double>(side), static_cast<double>(t.min_side)});
  bool exposure_bad = false;
  if (q.bright_level < t.min_bright_level) {
    issues.push_back({QualityCode::kTooDark, q.bright_level, t.min_bright_level});
    exposure_bad = true;
  } else if (q.shadows > t.max_shadows) {
    issues.push_back({QualityCode::kTooDark, q.shadows, t.max_shadows});
    exposure_bad = true;
  }
  // Clipping concentrated on the spot (at least half of the clipped samples, the spot being a quarter of the
  // region) is a reflection off the lesion whatever the frame's share: the fix is the flash, not the light. A model
  // whose fitted max_highlights is small would otherwise call every glare overexposed.
  const bool glare_on_spot = q.spot_highlights > t.max_spot_highlights && q.spot_highlights >= 2 * q.highlights;
  if (!glare_on_spot && q.highlights > t.max_highlights) {
    issues.push_back({QualityCode::kOverexposed, q.highlights, t.max_highlights});
    exposure_bad = true;
  } else if (q.spot_highlights > t.max_spot_highlights) {
    issues.push_back({QualityCode::kGlare, q.spot_highlights, t.max_spot_highlights});
    exposure_bad = true;
  }
  if (!exposure_bad && q.dark_level > t.max_dark_level) {
    issues.push_back({QualityCode::kWashedOut, q.dark_level, t.max_dark_level});
    exposure_bad = true;
  }
  // A fade also lowers the measured sharpness: a photo faded past faded_dark_level that is blurry only because of it
  // is washed out, and the patient is told the cause (the light, the lens), not its symptom.
  if (!exposure_bad && q.sharpness < t.min_sharpness && q.dark_level > t.faded_dark_level &&
      unfaded_sharpness(q) >= kFadeExplainsBlur * t.min_sharpness) {
    issues.push_back({QualityCode::kWashedOut, q.dark_level, t.faded_dark_level});
    exposure_bad = true;
  }
  if (!exposure_bad && q.colourfulness < t.min_colourfulness) {
    issues.push_back({QualityCode::kNoColour, q.colourfulness, t.min_colourfulness});
  }
  if (!exposure_bad && q.colour_noise > t.max_colour_noise) {
    issues.push_back({QualityCode::kNoisy, q.colour_noise, t.max_colour_noise});
  }
  // The frame's focus first; a frame sharp around a blurred spot (focus on the skin beside the lesion, or motion of
  // a close-up) is blurry too, with the spot's value.
  if (!exposure_bad && q.sharpness < t.min_sharpness) {
    issues.push_back({QualityCode::kBlurry, q.sharpness, t.min_sharpness});
  } else if (!exposure_bad && q.spot_sharpness < t.min_spot_sharpness) {
    issues.push_back({QualityCode::kBlurry, q.spot_sharpness, t.min_spot_sharpness});
  }
  return issues;
}

std::vector<QualityIssue> likely_quality_causes(const PhotoQuality& q, const PhotoQualityThresholds& t) {
  std::vector<QualityIssue> causes;
  if (q.spot_highlights > kLikelyGlare && q.spot_highlights >= 2 * q.highlights) {
    causes.push_back({QualityCode::kGlare, q.spot_highlights, kLikelyGlare});
  }
  if (q.dark_level > t.faded_dark_level) causes.push_back({QualityCode::kWashedOut, q.dark_level, t.faded_dark_level});
  return causes;
}

}  // namespace dermcam

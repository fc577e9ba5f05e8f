#include "resample.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace dermcam {
namespace {

double filter_support(ResampleFilter filter) {
  switch (filter) {
    case ResampleFilter::kBox:
      return 0.5;
    case ResampleFilter::kTriangle:
      return 1.0;
    case ResampleFilter::kCubic:
      return 2.0;
  }
  return 1.0;
}

double filter_weight(ResampleFilter filter, double x) {
  switch (filter) {
    case ResampleFilter::kBox:
      return (x >= -0.5 && x < 0.5) ? 1.0 : 0.0;
    case ResampleFilter::kTriangle:
      x = std::fabs(x);
      return x < 1.0 ? 1.0 - x : 0.0;
    case ResampleFilter::kCubic: {
      constexpr double a = -0.5;
      x = std::fabs(x);
      if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
      if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
      return 0.0;
    }
  }
  return 0.0;
}

// For each output sample: the first source index and normalised weights of the taps it reads.
struct Kernel {
  std::vector<int> first;
  std::vector<int> count;
  std::vector<float> weights;  // out_size * taps, zero-padded
  int taps = 0;
};

Kernel make_kernel(ResampleFilter filter, double in0, double in1, int in_size, int out_size) {
  const double scale = (in1 - in0) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = filter_support(filter) * filter_scale;
  Kernel k;
  k.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  k.first.resize(out_size);
  k.count.resize(out_size);
  k.weights.assign(static_cast<size_t>(out_size) * k.taps, 0.0f);
  std::vector<double> w(k.taps);
  for (int i = 0; i < out_size; ++i) {
    const double center = in0 + (i + 0.5) * scale;
    const int lo = std::max(static_cast<int>(std::floor(center - support + 0.5)), 0);
    const int hi = std::min(static_cast<int>(std::floor(center + support + 0.5)), in_size);
    int n = std::min(std::max(hi - lo, 0), k.taps);
    double total = 0.0;
    for (int j = 0; j < n; ++j) {
      w[j] = filter_weight(filter, (lo + j - center + 0.5) / filter_scale);
      total += w[j];
    }
    if (total <= 0.0) {  // region narrower than the filter's zero crossings: take the nearest pixel
      n = 1;
      w[0] = 1.0;
      total = 1.0;
    }
    k.first[i] = std::min(lo, in_size - 1);
    k.count[i] = n;
    for (int j = 0; j < n; ++j) k.weights[static_cast<size_t>(i) * k.taps + j] = static_cast<float>(w[j] / total);
  }
  return k;
}

inline uint8_t round_to_byte(float v) {
  v = std::min(std::max(v, 0.0f), 255.0f);
  return static_cast<uint8_t>(v + 0.5f);  // NOLINT(bugprone-incorrect-roundings): v >= 0 here, so this rounds
}

}  // namespace

Result<RgbImage> resample(const RgbImage& source, const Rect& region, int out_width, int out_height,
                          ResampleFilter filter) {
  if (source.width < 1 || source.height < 1) return Error{ErrorCode::kInvalidArgument, "The source image is empty."};
  if (out_width < 1 || out_height < 1)
    return Error{ErrorCode::kInvalidArgument, "The output size must be at least 1 x 1."};
  if (!(region.x0 >= 0 && region.y0 >= 0 && region.x1 <= source.width && region.y1 <= source.height &&
        region.x1 > region.x0 && region.y1 > region.y0)) {
    return Error{ErrorCode::kInvalidArgument, "The resample region is empty or outside the image."};
  }
  const Kernel kx = make_kernel(filter, region.x0, region.x1, source.width, out_width);
  const Kernel ky = make_kernel(filter, region.y0, region.y1, source.height, out_height);
  const int row_first = ky.first.front();
  const int row_last = ky.first.back() + ky.count.back();  // exclusive
  const int rows = row_last - row_first;
  const size_t row_floats = static_cast<size_t>(out_width) * 3;

  // Horizontal pass over the source rows the vertical pass will read.
  std::vector<float> horizontal(static_cast<size_t>(rows) * row_floats);
  for (int r = 0; r < rows; ++r) {
    const uint8_t* src_row = source.pixel(0, row_first + r);
    float* dst = &horizontal[static_cast<size_t>(r) * row_floats];
    for (int x = 0; x < out_width; ++x) {
      const float* w = &kx.weights[static_cast<size_t>(x) * kx.taps];
      const uint8_t* s = src_row + static_cast<size_t>(kx.first[x]) * 3;
      float acc_r = 0.0f;
      float acc_g = 0.0f;
      float acc_b = 0.0f;
      for (int j = 0; j < kx.count[x]; ++j, s += 3) {
        acc_r += w[j] * s[0];
        acc_g += w[j] * s[1];
        acc_b += w[j] * s[2];
      }
      dst[x * 3] = acc_r;
      dst[x * 3 + 1] = acc_g;
      dst[x * 3 + 2] = acc_b;
    }
  }

  // Vertical pass: whole rows at a time so the inner loop runs over contiguous memory.
  RgbImage out;
  out.width = out_width;
  out.height = out_height;
  out.pixels.resize(static_cast<size_t>(out_height) * row_floats);
  std::vector<float> acc(row_floats);
  for (int y = 0; y < out_height; ++y) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    const float* w = &ky.weights[static_cast<size_t>(y) * ky.taps];
    for (int j = 0; j < ky.count[y]; ++j) {
      const float* row = &horizontal[static_cast<size_t>(ky.first[y] - row_first + j) * row_floats];
      const float weight = w[j];
      for (size_t i = 0; i < row_floats; ++i) acc[i] += weight * row[i];
    }
    uint8_t* dst = &out.pixels[static_cast<size_t>(y) * row_floats];
    for (size_t i = 0; i < row_floats; ++i) dst[i] = round_to_byte(acc[i]);
  }
  return out;
}

}  // namespace dermcam

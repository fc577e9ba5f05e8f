#include "map_resize.h"

#include <cmath>
#include <cstddef>

namespace dermcam {

BilinearTaps bilinear_taps(int src_size, int dst_size) {
  BilinearTaps taps;
  taps.index.resize(dst_size);
  taps.weight.resize(dst_size);
  const double scale = static_cast<double>(src_size) / dst_size;
  for (int d = 0; d < dst_size; ++d) {
    clamp_tap(static_cast<float>((d + 0.5) * scale - 0.5), src_size, &taps.index[d], &taps.weight[d]);
  }
  return taps;
}

std::vector<float> resize_map_bilinear(const float* src, int src_width, int src_height, int dst_width, int dst_height) {
  const BilinearTaps tx = bilinear_taps(src_width, dst_width);
  const BilinearTaps ty = bilinear_taps(src_height, dst_height);
  // Horizontal pass over every source row.
  std::vector<float> rows(static_cast<size_t>(src_height) * dst_width);
  for (int y = 0; y < src_height; ++y) {
    const float* s = src + static_cast<size_t>(y) * src_width;
    float* d = &rows[static_cast<size_t>(y) * dst_width];
    for (int x = 0; x < dst_width; ++x) {
      const int i = tx.index[x];
      const float w = tx.weight[x];
      d[x] = w == 0.0f ? s[i] : s[i] * (1.0f - w) + s[i + 1] * w;
    }
  }
  std::vector<float> out(static_cast<size_t>(dst_width) * dst_height);
  for (int y = 0; y < dst_height; ++y) {
    const int j = ty.index[y];
    const float w = ty.weight[y];
    const float* r0 = &rows[static_cast<size_t>(j) * dst_width];
    const float* r1 = w == 0.0f ? r0 : r0 + dst_width;
    float* d = &out[static_cast<size_t>(y) * dst_width];
    for (int x = 0; x < dst_width; ++x) d[x] = r0[x] * (1.0f - w) + r1[x] * w;
  }
  return out;
}

}  // namespace dermcam

// Bilinear resizing of a float map, exactly as OpenCV's cv::resize(..., INTER_LINEAR) does for float32
// (what pytorch-grad-cam uses to bring a CAM to the input size).
//
// Pixel-centre aligned: destination x samples source fx = (x + 0.5) * (src_w / dst_w) - 0.5 (computed in
// float), clamped to the edge pixels (border replicate). Weights and sums are float, horizontal pass first.
// Meant for enlarging maps; shrinking with it aliases (OpenCV switches to area averaging for that).
// Layout: row-major, `src` holds src_w * src_h values; the result holds dst_w * dst_h. Sizes must be >= 1.
#pragma once

#include <vector>

namespace dermcam {

std::vector<float> resize_map_bilinear(const float* src, int src_width, int src_height, int dst_width, int dst_height);

// The source index and weight of the right/lower neighbour for each destination index along one axis.
struct BilinearTaps {
  std::vector<int> index;     // left/upper source index; the right/lower one is min(index + 1, size - 1)
  std::vector<float> weight;  // weight of the right/lower neighbour, in [0, 1)
};

BilinearTaps bilinear_taps(int src_size, int dst_size);

// The left/upper neighbour and the weight of the next one for a sample at source coordinate `s` (pixel
// centres at integers), clamped to the edge pixels like OpenCV's border replicate.
inline void clamp_tap(float s, int src_size, int* index, float* weight) {
  if (!(s > 0.0f)) {  // before the first pixel centre (or NaN)
    *index = 0;
    *weight = 0.0f;
  } else if (s >= static_cast<float>(src_size - 1)) {
    *index = src_size - 1;
    *weight = 0.0f;
  } else {
    *index = static_cast<int>(s);  // floor, as s > 0
    *weight = s - static_cast<float>(*index);
  }
}

}  // namespace dermcam

// Antialiased resampling of an RGB8 image region (separable convolution, as Pillow's Image.resize).
//
// The filter is widened by the reduction factor when shrinking, so every source pixel contributes and a
// 12 MP photo shrunk to 224 px does not alias; when enlarging it is plain interpolation. Output pixel i's
// centre sits at region.x0 + (i + 0.5) * (region width / out_width) in source coordinates, where source
// pixel j covers [j, j + 1) (pixel-centre aligned, like Pillow and OpenCV). Near the image border the
// kernel is cut at the edge and renormalised. The horizontal pass keeps float precision; the result is
// rounded half up to 8 bits once.
//
// Cost: O(out_w * rows_used * taps + out_w * out_h * taps); memory: one float buffer of out_w * rows_used * 3.
#pragma once

#include "error.h"
#include "image.h"

namespace dermcam {

enum class ResampleFilter {
  kTriangle,  // Pillow BILINEAR (torchvision Resize with antialias=True); the default
  kBox,       // area average (Pillow BOX)
  kCubic,     // Keys cubic, a = -0.5 (Pillow BICUBIC)
};

// A rectangle in continuous pixel coordinates, x1 > x0 and y1 > y0.
struct Rect {
  double x0 = 0;
  double y0 = 0;
  double x1 = 0;
  double y1 = 0;
  double width() const { return x1 - x0; }
  double height() const { return y1 - y0; }
};

// Resamples `region` of `source` (which must lie within [0, width] x [0, height]) to out_width x out_height.
// Fails with kInvalidArgument for an empty source, an empty or out-of-bounds region, or a size < 1.
Result<RgbImage> resample(const RgbImage& source, const Rect& region, int out_width, int out_height,
                          ResampleFilter filter = ResampleFilter::kTriangle);

}  // namespace dermcam

// Turning a decoded image upright according to its EXIF orientation (1..8).
//
//   1 as stored          2 mirrored left-right      3 rotated 180       4 mirrored top-bottom
//   5 transposed         6 rotate 90 clockwise      7 transversed       8 rotate 90 counter-clockwise
//
// Orientations 5-8 swap width and height. Any value outside 1..8 is treated as 1.
#pragma once

#include "image.h"

namespace dermcam {

RgbImage apply_exif_orientation(RgbImage image, int orientation);

}  // namespace dermcam

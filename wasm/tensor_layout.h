// The two layouts of an image-like tensor of one image, shared by the model's input tensor (preprocess.h) and the
// CAM's target layers (cam.h):
//   kNCHW  channel-major, [C][H][W]: channel c at row y, column x is at (c * H + y) * W + x
//   kNHWC  channel-last,  [H][W][C]: the same value is at (y * W + x) * C + c
// (web/js/layout.mjs is the JavaScript side's one place for the same arithmetic.)
#pragma once

namespace dermcam {

enum class TensorLayout { kNCHW, kNHWC };

}  // namespace dermcam

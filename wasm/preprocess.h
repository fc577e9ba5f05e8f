// From an upright RGB8 photo to the model's input tensor and to the display copy the overlay is drawn on.
//
// Tensor: float32, batch 1, 3 channels in R G B order.
//   NCHW: shape {1, 3, height, width}, index ((c * height) + y) * width + x
//   NHWC: shape {1, height, width, 3}, index (y * width + x) * 3 + c
//   value = (p * k - mean[c]) / std[c], with p the resized 8-bit pixel, k = 1/255 for PixelScale::kUnit
//   (mean/std given on the 0-1 scale, torchvision style) or k = 1 for kByte (0-255 scale, Keras/caffe style).
//
// Resize policies (the source is resampled once, with the antialiased filter of resample.h):
//   kStretch     whole photo to width x height; aspect ratio not kept.
//   kCenterCrop  scaled so it covers width x height, the centre cut out (torchvision Resize + CenterCrop).
//   kLetterbox   scaled so it fits inside, centred, the rest filled with pad_color (normalised like pixels).
//
// Coordinates: continuous pixel coordinates, pixel i covers [i, i + 1). Placement says which rectangle of
// the photo the tensor shows and where in the tensor it lands; TensorToDisplay maps tensor coordinates onto
// the display copy, so a heatmap cell can be drawn on exactly the pixels it came from.
//
// Region: PreprocessOptions::region picks the part of the photo to use (the app's framing square, the CLI's
// --region), in upright photo pixels with integer bounds; empty (the default) means the whole photo. The resize
// policy then applies to the region exactly as it would to a photo of that size, so a small spot gets the
// model's full resolution. make_display_image shows the same region, and map_tensor_to_display maps onto it.
// A region that is not inside the photo, or is less than 1 pixel wide or high, fails with kInvalidArgument.
//
// Limits: width and height 1..kMaxTensorSide; std != 0 and all values finite; the display copy's longest
// side 16..kMaxDisplaySide and never larger than the photo. Violations fail with kInvalidArgument.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "error.h"
#include "image.h"
#include "resample.h"
#include "tensor_layout.h"

namespace dermcam {

constexpr int kMaxTensorSide = 4096;
constexpr int kMaxDisplaySide = 8192;
constexpr int kDefaultDisplaySide = 1024;

enum class ResizePolicy { kStretch, kCenterCrop, kLetterbox };
enum class PixelScale { kUnit, kByte };

struct PreprocessOptions {
  int width = 224;
  int height = 224;
  ResizePolicy policy = ResizePolicy::kCenterCrop;
  std::array<uint8_t, 3> pad_color = {0, 0, 0};
  PixelScale scale = PixelScale::kUnit;
  std::array<float, 3> mean = {0.485f, 0.456f, 0.406f};  // ImageNet, the most common training statistics
  std::array<float, 3> std = {0.229f, 0.224f, 0.225f};
  TensorLayout layout = TensorLayout::kNCHW;
  ResampleFilter filter = ResampleFilter::kTriangle;
  Rect region;  // empty: the whole photo
};

struct Placement {
  Rect source_region;   // the part of the photo that is resampled, in photo pixels
  Rect tensor_content;  // where it lands in the tensor (the whole tensor unless letterboxed), integer bounds
};

// display = tensor * scale + offset, per axis.
struct TensorToDisplay {
  double scale_x = 1;
  double scale_y = 1;
  double offset_x = 0;
  double offset_y = 0;
};

struct ModelTensor {
  std::vector<float> data;
  std::array<int, 4> shape = {0, 0, 0, 0};
  TensorLayout layout = TensorLayout::kNCHW;
  Placement placement;
};

Result<Placement> plan_placement(int photo_width, int photo_height, const PreprocessOptions& options);

Result<ModelTensor> make_model_tensor(const RgbImage& photo, const PreprocessOptions& options);

// The photo (or its `region`, see above) downscaled (never enlarged, area-averaged) so its longest side is at
// most max_side, as opaque RGBA.
Result<RgbaImage> make_display_image(const RgbImage& photo, int max_side = kDefaultDisplaySide,
                                     const Rect& region = {});

// The part of the photo a region option selects: the region itself, or the whole photo when it is empty.
// Fails with kInvalidArgument when the region is not inside the photo or not on whole pixels.
Result<Rect> resolve_region(int photo_width, int photo_height, const Rect& region);

// `shown` is the part of the photo the display copy shows (resolve_region of the options' region).
TensorToDisplay map_tensor_to_display(const Placement& placement, const Rect& shown, int display_width,
                                      int display_height);
TensorToDisplay map_tensor_to_display(const Placement& placement, int photo_width, int photo_height, int display_width,
                                      int display_height);

}  // namespace dermcam

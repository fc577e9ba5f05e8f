// The CAM pipeline shared by every method (cam_methods.h): from a target layer's activations and
// gradients to the map the user sees, with pytorch-grad-cam's conventions so maps compare one to one.
//
// For each run (an augmented copy of the input, see aug_smooth) and each target layer:
//   1. contributions from the method unit (channels x positions), in double precision;
//   2. raw map = sum over channels, or the first-principal-component projection with eigen_smooth (and
//      always for Eigen-CAM / Eigen-Grad-CAM), see principal_component.h;
//   3. ReLU, then min-max scaling: m = (m - min) / (max + 1e-7);
//   4. bilinear resize to the output size (the model input size), see map_resize.h.
// Layers are fused: ReLU, mean over layers, min-max scaling again (done for one layer too, as
// pytorch-grad-cam does). Runs are de-augmented (a horizontally flipped run is flipped back) and averaged.
//
// Inputs: activations of one image and gradients of one class with the same shape, either
//   kNCHW (channel-major: [C][h][w]) or kNHWC (channel-last: [h][w][C]); the batch and class dimensions are
//   the caller's (pass the slice for the class being explained). Gradients may be null for methods that do
//   not need them. With `gradients_per_channel` they are C values, the gradient of every position of channel k
//   (what a global-average-pooling head gives): a method that reads only their channel means (Grad-CAM,
//   FinerCAM) takes them as they are, any other gets them spread over the positions by the pipeline. Methods whose
//   target is a value per channel (Score-CAM's scores, Ablation-CAM's drops, from the caller's perturbation runs:
//   CamMethodInfo::target) read `channel_values` instead: C values, for the class being explained.
//   Limits: 1..kMaxCamLayers layers with the same shapes in every run, 1..kMaxCamRuns runs, channels * height * width
//   <= kMaxLayerElements, output sides 1..4096.
//
// Degenerate maps are reported, never drawn as if meaningful: MapStatus says when the map has no positive
// evidence (kAllZero), is flat (kConstant) or the inputs held NaN/Inf (kNonFinite); the map is then all 0.
// The raw signed map (before ReLU and scaling) of every layer of the first run is returned too, for users who
// need magnitudes or comparisons across images.
#pragma once

#include <string>
#include <vector>

#include "cam_methods.h"
#include "error.h"
#include "tensor_layout.h"

namespace dermcam {

constexpr int kMaxCamLayers = 8;
constexpr int kMaxCamRuns = 16;
constexpr long kMaxLayerElements = 1L << 24;

enum class MapStatus { kOk, kAllZero, kConstant, kNonFinite };

const char* map_status_name(MapStatus status);     // "ok", "all_zero", "constant", "non_finite"
const char* map_status_message(MapStatus status);  // a sentence for the UI

struct LayerInput {
  const float* activations = nullptr;
  const float* gradients = nullptr;
  int channels = 0;
  int height = 0;
  int width = 0;
  TensorLayout layout = TensorLayout::kNCHW;
  const float* channel_values = nullptr;  // [C]: what a channel-valued method weights channel k by; null otherwise
  bool gradients_per_channel = false;     // gradients holds [C]: channel k's gradient at every one of its positions
};

struct CamRun {
  std::vector<LayerInput> layers;
  bool flipped = false;  // the input of this run was mirrored left-right
};

struct CamOptions {
  std::string method = "gradcam";  // a registry id (cam_methods.h); another fails with kInvalidArgument
  bool eigen_smooth = false;
  int output_width = 224;
  int output_height = 224;
};

struct LayerMap {
  int width = 0;
  int height = 0;
  std::vector<float> raw;  // signed, before ReLU and scaling, row-major
  double raw_min = 0;
  double raw_max = 0;
  MapStatus status = MapStatus::kOk;
};

struct CamResult {
  int width = 0;
  int height = 0;
  std::vector<float> map;  // [0, 1], row-major, output size
  MapStatus status = MapStatus::kOk;
  std::vector<LayerMap> layers;  // first run's layers, in input order
};

Result<CamResult> compute_cam(const std::vector<CamRun>& runs, const CamOptions& options);

}  // namespace dermcam

// What a CAM is computed from, as JavaScript hands it over (cam.cpp), shared with the PhotoView handle
// (photo_view.cpp), which keeps the runs between calls so a method or class switch sends none of it again.
#pragma once

#include <emscripten/val.h>

#include <set>
#include <string>
#include <vector>

#include "../cam.h"
#include "../cam_methods.h"
#include "../error.h"

namespace dermcam::js {

// One target layer of one run, copied into wasm: activations [1, C, h, w] (NCHW) or [1, h, w, C] (NHWC); gradients
// for K classes, each the activations' shape or, with `per_channel`, one value per channel (a global average pool's
// gradient); channel values [C] for a method that weights channels by its own model runs (Score-CAM, Ablation-CAM).
struct StoredLayer {
  TensorLayout layout = TensorLayout::kNCHW;
  int channels = 0;
  int height = 0;
  int width = 0;
  std::vector<float> activations;
  std::vector<float> gradients;  // empty: none
  bool per_channel = false;
  std::vector<float> channel_values;  // empty: none
};

struct StoredRun {
  bool flipped = false;
  std::vector<StoredLayer> layers;
};

// The call's options besides the runs: {method, eigenSmooth, classIndex, outputWidth, outputHeight} plus the names
// in `extra` (read by the caller).
struct CamCall {
  const CamMethodInfo* method = nullptr;
  CamOptions options;
  int class_index = 0;
};
Result<CamCall> read_cam_call(const emscripten::val& js_options, std::set<std::string> extra);

// `runs`: [{flipped, layers: [{activations, gradients, gradientsPerChannel, channelValues, shape, layout}]}], 1 to
// kMaxCamRuns runs of 1 to kMaxCamLayers layers each.
Result<std::vector<StoredRun>> read_runs(const emscripten::val& js_runs);

// The CAM of `call` over `runs`; `channel_values`, when not empty, one array per layer replacing the layers' own.
Result<CamResult> compute_stored(const std::vector<StoredRun>& runs, const CamCall& call,
                                 const std::vector<std::vector<float>>& channel_values);

// {map: Float32Array, width, height, status, message, layers: [{raw, width, height, rawMin, rawMax, status}]}
emscripten::val cam_to_js(const CamResult& cam);

}  // namespace dermcam::js

// PhotoView: one photo's state kept in wasm between calls, behind a handle (as wasm-vips keeps images): the
// display copy and where the model's input lies on it, the target-layer outputs of the current model run(s), and
// the last map. A method or class switch then sends only what changed (a perturbation method's channel values),
// the display layers come from the map without it crossing back in, and the PNG export is one call that returns
// only the file. JavaScript owns the handle and must delete() it (web/js/core.mjs wraps it).
//
// Every method returns its answer or a JS Error (code, params, message), as the module's functions do.
#pragma once

#include <emscripten/val.h>

#include <vector>

#include "../image.h"
#include "../overlay.h"
#include "../resample.h"
#include "cam_inputs.h"

namespace dermcam::js {

class PhotoView {
 public:
  PhotoView(RgbaImage display, Rect content, TensorToDisplay mapping)
      : display_(std::move(display)), content_(content), mapping_(mapping) {}

  // setRuns([{flipped, layers: [{activations, gradients, gradientsPerChannel, shape, layout}]}]) -> undefined:
  // the runs computeCam reads from now on (computeCam's `runs`, kept).
  emscripten::val set_runs(emscripten::val js_runs);
  // computeCam({method, eigenSmooth, classIndex, outputWidth, outputHeight, channelValues}) -> computeCam's answer;
  // `channelValues` (one Float32Array per target layer) for the methods that read them. The map is kept.
  emscripten::val compute_cam(emscripten::val js_options);
  // setMap({map, width, height}) -> undefined: the map drawn from now on (an earlier one, when a newer was dropped).
  emscripten::val set_map(emscripten::val js_options);
  // heatLayers({threshold, into}) -> heatLayers' answer for the kept map on this display copy.
  emscripten::val heat_layers(emscripten::val js_options);
  // renderOverlay({colormap, opacity, outline, box, threshold}) -> {width, height, rgba, box}.
  emscripten::val render_overlay(emscripten::val js_options);
  // overlayPng(the same looks) -> Uint8Array: the PNG file of renderOverlay's picture.
  emscripten::val overlay_png(emscripten::val js_options);

 private:
  Result<Overlay> draw(const emscripten::val& js_options) const;

  RgbaImage display_;
  Rect content_;
  TensorToDisplay mapping_;
  std::vector<StoredRun> runs_;
  std::vector<float> map_;
  int map_width_ = 0;
  int map_height_ = 0;
};

// photoView({display: {width, height, rgba}, tensorContent, tensorToDisplay}) -> PhotoView, for an input that did
// not come through prepareImage (an exact tensor shown as itself). prepareImage({..., view: true}) makes one too.
emscripten::val photo_view_js(emscripten::val js_options);

}  // namespace dermcam::js

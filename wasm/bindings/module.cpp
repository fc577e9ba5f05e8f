// The Embind module: JS <-> dermcam core. The one list of what JavaScript can call; each call lives in the binding
// file of its concept (photo.cpp, cam.cpp, overlay.cpp, photo_view.cpp: the one handle) and converts through
// js_values.h. Coarse calls only: bytes in, everything the caller needs out, copied into JS-owned typed arrays before
// returning.
//
// Failures are returned, not thrown: a JS Error with `code` (error_code_name), `params` and `message`. Throwing
// from a binding would skip C++ destructors and leak; web/js/core.mjs turns a returned Error into a thrown one.
#include <emscripten/bind.h>

#include "../preprocess.h"
#include "../resample.h"
#include "calls.h"
#include "photo_view.h"

EMSCRIPTEN_BINDINGS(dermcam) {
  using namespace dermcam::js;
  // Plain structs, as they go out (js_values.h says why they come back in through the option reader).
  emscripten::value_object<dermcam::Rect>("Rect")
      .field("x0", &dermcam::Rect::x0)
      .field("y0", &dermcam::Rect::y0)
      .field("x1", &dermcam::Rect::x1)
      .field("y1", &dermcam::Rect::y1);
  emscripten::value_object<dermcam::TensorToDisplay>("TensorToDisplay")
      .field("scaleX", &dermcam::TensorToDisplay::scale_x)
      .field("scaleY", &dermcam::TensorToDisplay::scale_y)
      .field("offsetX", &dermcam::TensorToDisplay::offset_x)
      .field("offsetY", &dermcam::TensorToDisplay::offset_y);

  emscripten::function("decodeImage", &decode_image_js);
  emscripten::function("prepareImage", &prepare_image_js);
  emscripten::function("qualityThresholdRanges", &quality_threshold_ranges_js);
  emscripten::function("camMethods", &cam_methods_js);
  emscripten::function("computeCam", &compute_cam_js);
  emscripten::function("factorizeFeatures", &factorize_features_js);
  emscripten::function("colormaps", &colormaps_js);
  emscripten::function("renderOverlay", &render_overlay_js);
  emscripten::function("heatLayers", &heat_layers_js);
  emscripten::function("encodePng", &encode_png_js);
  emscripten::function("encodeJpeg", &encode_jpeg_js);

  emscripten::class_<PhotoView>("PhotoView")
      .function("setRuns", &PhotoView::set_runs)
      .function("computeCam", &PhotoView::compute_cam)
      .function("setMap", &PhotoView::set_map)
      .function("heatLayers", &PhotoView::heat_layers)
      .function("renderOverlay", &PhotoView::render_overlay)
      .function("overlayPng", &PhotoView::overlay_png);
  emscripten::function("photoView", &photo_view_js);
}

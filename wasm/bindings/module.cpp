// The Embind module: JS <-> dermcam core. The one list of what JavaScript can call; each call lives in the binding
// file of its concept (photo.cpp, cam.cpp, overlay.cpp) and converts through js_values.h. Coarse calls only: bytes
// in, everything the caller needs out, copied into JS-owned typed arrays before returning.
//
// Failures are returned, not thrown: a JS Error with `code` (error_code_name), `params` and `message`. Throwing
// from a binding would skip C++ destructors and leak; web/js/core.mjs turns a returned Error into a thrown one.
#include <emscripten/bind.h>

#include "calls.h"

EMSCRIPTEN_BINDINGS(dermcam) {
  using namespace dermcam::js;
  emscripten::function("decodeImage", &decode_image_js);
  emscripten::function("prepareImage", &prepare_image_js);
  emscripten::function("qualityThresholdRanges", &quality_threshold_ranges_js);
  emscripten::function("camMethods", &cam_methods_js);
  emscripten::function("computeCam", &compute_cam_js);
  emscripten::function("colormaps", &colormaps_js);
  emscripten::function("renderOverlay", &render_overlay_js);
  emscripten::function("heatLayers", &heat_layers_js);
  emscripten::function("encodePng", &encode_png_js);
}

// The functions module.cpp binds, one per JavaScript name, each defined in the binding file of its concept.
// Every one returns its answer or a JS Error (code, params, message): failures are returned, not thrown.
#pragma once

#include <emscripten/val.h>

namespace dermcam::js {

// photo.cpp
emscripten::val decode_image_js(emscripten::val input, emscripten::val js_options);
emscripten::val prepare_image_js(emscripten::val input, emscripten::val js_options);
emscripten::val quality_threshold_ranges_js();
// cam.cpp
emscripten::val cam_methods_js();
emscripten::val compute_cam_js(emscripten::val js_options);
emscripten::val factorize_features_js(emscripten::val js_options);
// overlay.cpp
emscripten::val colormaps_js();
emscripten::val render_overlay_js(emscripten::val js_options);
emscripten::val heat_layers_js(emscripten::val js_options);
emscripten::val encode_png_js(emscripten::val js_image);
emscripten::val encode_jpeg_js(emscripten::val js_image, int quality);

}  // namespace dermcam::js

// How a map is drawn, as JavaScript asks for it (overlay.cpp), shared with the PhotoView handle (photo_view.cpp).
#pragma once

#include <emscripten/val.h>

#include "../error.h"
#include "../overlay.h"
#include "js_values.h"

namespace dermcam::js {

// The looks: colormap, opacity, outline, box, threshold (overlay.h's OverlayOptions), read from `reader`.
Result<OverlayOptions> read_looks(OptionReader& reader);

// Where the model's input lies on the display copy: tensorContent and tensorToDisplay (prepareImage returns both).
Result<Rect> read_content(const emscripten::val& js_options);
Result<TensorToDisplay> read_mapping(const emscripten::val& js_options);

// {width, height, rgba: Uint8ClampedArray, box: {x0, y0, x1, y1} | null}
emscripten::val overlay_to_js(const Overlay& overlay);

// `into`: undefined, or a Uint8Array of width x height bytes the index is written into (checked here).
Result<emscripten::val> checked_into(const emscripten::val& into, int width, int height);
// {width, height, index, covered, outline, lineWidth, box, boxEdges}; the index goes into `into` when it is given.
emscripten::val heat_layers_to_js(const HeatLayers& layers, const emscripten::val& into);

}  // namespace dermcam::js

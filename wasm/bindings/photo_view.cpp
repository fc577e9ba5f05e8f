// The PhotoView handle (photo_view.h): the same readers and kernels as the stateless calls, on state kept here.
#include "photo_view.h"

#include <string>
#include <utility>
#include <vector>

#include "../image_encode.h"
#include "../overlay.h"
#include "calls.h"
#include "js_values.h"
#include "overlay_inputs.h"

namespace dermcam::js {
namespace {

const Error kNoMap{ErrorCode::kInvalidArgument, "This photo has no map yet: compute one first."};

}  // namespace

val PhotoView::set_runs(val js_runs) {
  auto runs = read_runs(js_runs);
  if (!runs) return make_js_error(runs.error());
  runs_ = std::move(runs).value();
  return val::undefined();
}

val PhotoView::compute_cam(val js_options) {
  auto call = read_cam_call(js_options, {"channelValues"});
  if (!call) return make_js_error(call.error());
  if (runs_.empty()) return make_js_error({ErrorCode::kInvalidArgument, "This photo has no runs: call setRuns first."});
  std::vector<std::vector<float>> channel_values;
  const val js_values = js_options["channelValues"];
  if (!js_values.isUndefined() && !js_values.isNull()) {
    if (!val::global("Array").call<bool>("isArray", js_values)) {
      return make_js_error({ErrorCode::kInvalidArgument, "'channelValues' must be an array of Float32Array."});
    }
    const int n = js_values["length"].as<int>();
    for (int l = 0; l < n && l <= kMaxCamLayers; ++l) {
      auto values = read_floats(js_values[l], "'channelValues'");
      if (!values) return make_js_error(values.error());
      channel_values.push_back(std::move(values).value());
    }
  }
  auto cam = compute_stored(runs_, call.value(), channel_values);
  if (!cam) return make_js_error(cam.error());
  map_ = cam.value().map;
  map_width_ = cam.value().width;
  map_height_ = cam.value().height;
  return cam_to_js(cam.value());
}

val PhotoView::set_map(val js_options) {
  OptionReader reader(js_options, {"map", "width", "height"});
  int width = 0;
  int height = 0;
  reader.integer("width", &width);
  reader.integer("height", &height);
  if (!reader.error().empty()) return make_js_error({ErrorCode::kInvalidArgument, reader.error()});
  auto map = read_floats(js_options["map"], "'map'");
  if (!map) return make_js_error(map.error());
  if (width < 1 || height < 1 || static_cast<double>(map.value().size()) != static_cast<double>(width) * height) {
    return make_js_error({ErrorCode::kInvalidArgument, "'map' must hold width x height values."});
  }
  map_ = std::move(map).value();
  map_width_ = width;
  map_height_ = height;
  return val::undefined();
}

val PhotoView::heat_layers(val js_options) {
  OptionReader reader(js_options, {"threshold", "into"});
  double threshold = 0.5;
  reader.number("threshold", &threshold);
  if (!reader.error().empty()) return make_js_error({ErrorCode::kInvalidArgument, reader.error()});
  if (map_.empty()) return make_js_error(kNoMap);
  auto into = checked_into(js_options.isUndefined() || js_options.isNull() ? val::undefined() : js_options["into"],
                           display_.width, display_.height);
  if (!into) return make_js_error(into.error());
  auto layers = dermcam::heat_layers(map_.data(), map_width_, map_height_, content_, mapping_, display_.width,
                                     display_.height, static_cast<float>(threshold));
  if (!layers) return make_js_error(layers.error());
  return heat_layers_to_js(layers.value(), into.value());
}

Result<Overlay> PhotoView::draw(const val& js_options) const {
  OptionReader reader(js_options, {"colormap", "opacity", "outline", "box", "threshold"});
  auto looks = read_looks(reader);
  if (!looks) return looks.error();
  if (map_.empty()) return kNoMap;
  return dermcam::render_overlay(display_, map_.data(), map_width_, map_height_, content_, mapping_, looks.value());
}

val PhotoView::render_overlay(val js_options) {
  auto overlay = draw(js_options);
  if (!overlay) return make_js_error(overlay.error());
  return overlay_to_js(overlay.value());
}

val PhotoView::overlay_png(val js_options) {
  auto overlay = draw(js_options);
  if (!overlay) return make_js_error(overlay.error());
  auto png = encode_png(overlay.value().image);
  if (!png) return make_js_error(png.error());
  return copy_out(png.value());
}

val photo_view_js(val js_options) {
  OptionReader reader(js_options, {"display", "tensorContent", "tensorToDisplay"});
  if (!reader.error().empty()) return make_js_error({ErrorCode::kInvalidArgument, reader.error()});
  auto display = read_rgba(js_options["display"]);
  if (!display) return make_js_error(display.error());
  auto content = read_content(js_options);
  if (!content) return make_js_error(content.error());
  auto mapping = read_mapping(js_options);
  if (!mapping) return make_js_error(mapping.error());
  return val(PhotoView(std::move(display).value(), content.value(), mapping.value()));
}

}  // namespace dermcam::js

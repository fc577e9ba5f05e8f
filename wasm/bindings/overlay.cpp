// What a map looks like: colormaps, renderOverlay (the blended picture), heatLayers (what the page composites
// itself), encodePng and encodeJpeg, each from a map or image the caller gives. The PhotoView handle (photo_view.cpp)
// draws the map it keeps with the same readers (overlay_inputs.h).
#include "../overlay.h"

#include <string>
#include <vector>

#include "../colormap.h"
#include "../image_encode.h"
#include "calls.h"
#include "js_values.h"
#include "overlay_inputs.h"

namespace dermcam::js {
namespace {

struct MapSource {
  std::vector<float> map;
  int width = 0;
  int height = 0;
  Rect content;
  TensorToDisplay mapping;
};

Result<MapSource> read_map_source(const val& js_options, OptionReader& reader) {
  MapSource source;
  reader.integer("mapWidth", &source.width);
  reader.integer("mapHeight", &source.height);
  if (!reader.error().empty()) return Error{ErrorCode::kInvalidArgument, reader.error()};
  auto map = read_floats(js_options["map"], "'map'");
  if (!map) return map.error();
  if (source.width < 1 || source.height < 1 ||
      static_cast<double>(map.value().size()) != static_cast<double>(source.width) * source.height) {
    return Error{ErrorCode::kInvalidArgument, "'map' must hold mapWidth x mapHeight values."};
  }
  source.map = std::move(map.value());
  auto content = read_content(js_options);
  if (!content) return content.error();
  source.content = content.value();
  auto mapping = read_mapping(js_options);
  if (!mapping) return mapping.error();
  source.mapping = mapping.value();
  return source;
}

val box_to_js(bool has_box, const HotBox& box) {
  if (!has_box) return val::null();
  return val(Rect{static_cast<double>(box.x0), static_cast<double>(box.y0), static_cast<double>(box.x1),
                  static_cast<double>(box.y1)});
}

}  // namespace

Result<OverlayOptions> read_looks(OptionReader& reader) {
  OverlayOptions o;
  double opacity = o.opacity;
  double threshold = o.threshold;
  reader.number("opacity", &opacity);
  reader.number("threshold", &threshold);
  reader.boolean("outline", &o.outline);
  reader.boolean("box", &o.box);
  std::vector<std::pair<const char*, Colormap>> colormaps;
  for (const ColormapInfo& info : colormap_registry()) colormaps.push_back({info.id, info.colormap});
  reader.choice<Colormap>("colormap", colormaps, &o.colormap);
  if (!reader.error().empty()) return Error{ErrorCode::kInvalidArgument, reader.error()};
  o.opacity = static_cast<float>(opacity);
  o.threshold = static_cast<float>(threshold);
  return o;
}

Result<Rect> read_content(const val& js_options) { return read_rect(js_options["tensorContent"], "tensorContent"); }

Result<TensorToDisplay> read_mapping(const val& js_options) {
  if (js_options["tensorToDisplay"].isUndefined()) {
    return Error{ErrorCode::kInvalidArgument, "'tensorToDisplay' is needed (prepareImage returns it)."};
  }
  TensorToDisplay mapping;
  OptionReader reader(js_options["tensorToDisplay"], {"scaleX", "scaleY", "offsetX", "offsetY"});
  reader.number("scaleX", &mapping.scale_x);
  reader.number("scaleY", &mapping.scale_y);
  reader.number("offsetX", &mapping.offset_x);
  reader.number("offsetY", &mapping.offset_y);
  if (!reader.error().empty()) return Error{ErrorCode::kInvalidArgument, reader.error()};
  return mapping;
}

val overlay_to_js(const Overlay& overlay) {
  val out = val::object();
  out.set("width", overlay.image.width);
  out.set("height", overlay.image.height);
  out.set("rgba", copy_out_clamped(overlay.image.pixels));
  out.set("box", box_to_js(overlay.has_box, overlay.box));
  return out;
}

Result<val> checked_into(const val& into, int width, int height) {
  if (into.isUndefined() || into.isNull()) return val::undefined();
  if (!into.instanceof
      (val::global("Uint8Array")) || into["length"].as<double>() != static_cast<double>(width) * height) {
    return Error{ErrorCode::kInvalidArgument, "'into' must be a Uint8Array of displayWidth x displayHeight bytes."};
  }
  return into;
}

val heat_layers_to_js(const HeatLayers& l, const val& into) {
  val out = val::object();
  out.set("width", l.width);
  out.set("height", l.height);
  if (!into.isUndefined()) into.call<void>("set", val(typed_memory_view(l.index.size(), l.index.data())));
  out.set("index", into.isUndefined() ? copy_out(l.index) : into);
  out.set("covered", box_to_js(l.covered.x1 > l.covered.x0, l.covered));
  out.set("outline", copy_out(l.outline));
  out.set("lineWidth", l.line_width);
  out.set("box", box_to_js(l.has_box, l.box));
  val edges = val::null();
  if (l.has_box) {
    edges = val::array();
    for (const HotBox& edge : box_edges(l.box, l.line_width)) edges.call<void>("push", box_to_js(true, edge));
  }
  out.set("boxEdges", edges);
  return out;
}

// colormaps() -> [{id, label, perceptuallyUniform, table: Uint8Array(768)}]
val colormaps_js() {
  val list = val::array();
  for (const ColormapInfo& info : colormap_registry()) {
    val o = val::object();
    o.set("id", val(info.id));
    o.set("label", val(info.label));
    o.set("perceptuallyUniform", info.perceptually_uniform);
    std::vector<uint8_t> table;  // 256 x RGB: the page colours heat layers with it (heatLayers)
    for (const auto& rgb : colormap_table(info.colormap)) table.insert(table.end(), rgb.begin(), rgb.end());
    o.set("table", copy_out(table));
    list.call<void>("push", o);
  }
  return list;
}

// renderOverlay({display, map, mapWidth, mapHeight, tensorContent, tensorToDisplay, colormap, opacity,
//                outline, box, threshold}) -> {width, height, rgba: Uint8ClampedArray, box: {x0,y0,x1,y1}|null}
val render_overlay_js(val js_options) {
  OptionReader reader(js_options, {"display", "map", "mapWidth", "mapHeight", "tensorContent", "tensorToDisplay",
                                   "colormap", "opacity", "outline", "box", "threshold"});
  auto looks = read_looks(reader);
  if (!looks) return make_js_error(looks.error());
  auto display = read_rgba(js_options["display"]);
  if (!display) return make_js_error(display.error());
  auto source = read_map_source(js_options, reader);
  if (!source) return make_js_error(source.error());
  const MapSource& s = source.value();
  auto overlay = render_overlay(display.value(), s.map.data(), s.width, s.height, s.content, s.mapping, looks.value());
  if (!overlay) return make_js_error(overlay.error());
  return overlay_to_js(overlay.value());
}

// heatLayers({displayWidth, displayHeight, map, mapWidth, mapHeight, tensorContent, tensorToDisplay, threshold, into})
//   -> {width, height, index: Uint8Array, covered: {x0,y0,x1,y1}|null, outline: Uint32Array, lineWidth,
//   box: {x0,y0,x1,y1}|null, boxEdges: [4 x {x0,y0,x1,y1}]|null} (overlay.h): what a page needs to composite the
//   overlay itself, so opacity, colours and lines change without a round trip. `into` (a Uint8Array of
//   displayWidth x displayHeight bytes) receives the index instead of a new array: writing a fresh megabyte costs
//   a page fault per 4 KB page, which some browsers pay dearly on every render.
val heat_layers_js(val js_options) {
  OptionReader reader(js_options, {"displayWidth", "displayHeight", "map", "mapWidth", "mapHeight", "tensorContent",
                                   "tensorToDisplay", "threshold", "into"});
  int width = 0;
  int height = 0;
  double threshold = 0.5;
  reader.integer("displayWidth", &width);
  reader.integer("displayHeight", &height);
  reader.number("threshold", &threshold);
  if (!reader.error().empty()) return make_js_error({ErrorCode::kInvalidArgument, reader.error()});
  if (width < 1 || height < 1 || width > kMaxDisplaySide || height > kMaxDisplaySide) {
    return make_js_error({ErrorCode::kInvalidArgument,
                          "'displayWidth' and 'displayHeight' must be 1 to " + std::to_string(kMaxDisplaySide) + "."});
  }
  auto into = checked_into(js_options["into"], width, height);
  if (!into) return make_js_error(into.error());
  auto source = read_map_source(js_options, reader);
  if (!source) return make_js_error(source.error());
  const MapSource& s = source.value();
  auto layers =
      heat_layers(s.map.data(), s.width, s.height, s.content, s.mapping, width, height, static_cast<float>(threshold));
  if (!layers) return make_js_error(layers.error());
  return heat_layers_to_js(layers.value(), into.value());
}

// encodeJpeg({width, height, rgba}, quality 1-100) -> Uint8Array (JPEG file bytes)
val encode_jpeg_js(val js_image, int quality) {
  auto image = read_rgba(js_image);
  if (!image) return make_js_error(image.error());
  auto jpeg = encode_jpeg(image.value(), quality);
  if (!jpeg) return make_js_error(jpeg.error());
  return copy_out(jpeg.value());
}

// encodePng({width, height, rgba}) -> Uint8Array (PNG file bytes)
val encode_png_js(val js_image) {
  auto image = read_rgba(js_image);
  if (!image) return make_js_error(image.error());
  auto png = encode_png(image.value());
  if (!png) return make_js_error(png.error());
  return copy_out(png.value());
}

}  // namespace dermcam::js

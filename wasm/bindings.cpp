// The one Embind file: JS <-> dermcam core. Coarse calls only: bytes in, everything the caller needs out,
// copied into JS-owned typed arrays before returning (no view of wasm memory escapes).
//
// Failures are returned, not thrown: a JS Error with `code` (error_code_name), `params` and `message`. Throwing from
// here would skip C++ destructors and leak; web/js/core.mjs turns a returned Error into a thrown one.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "cam.h"
#include "cam_methods.h"
#include "colormap.h"
#include "decode.h"
#include "error.h"
#include "overlay.h"
#include "photo_quality.h"
#include "png_encode.h"
#include "prepare.h"
#include "preprocess.h"

namespace dermcam {
namespace {

using emscripten::typed_memory_view;
using emscripten::val;

val make_js_error(const Error& error) {
  val js_error = val::global("Error").new_(val(error.message));
  js_error.set("code", val(error_code_name(error.code)));
  val params = val::object();
  for (const ErrorParam& param : error.params) {
    params.set(param.name, param.text.empty() ? val(param.number) : val(param.text));
  }
  js_error.set("params", params);
  return js_error;
}

// A JS-owned copy: slice() of a view is a plain memcpy into a new ArrayBuffer.
template <typename T>
val copy_out(const std::vector<T>& data) {
  return val(typed_memory_view(data.size(), data.data())).template call<val>("slice");
}

// Pixels for ImageData: the same fast copy, seen as Uint8ClampedArray (converting element by element from
// a Uint8Array view would be several times slower for a 3 MB image).
val copy_out_clamped(const std::vector<uint8_t>& data) {
  return val::global("Uint8ClampedArray").new_(copy_out(data)["buffer"]);
}

val rect_to_js(const Rect& r) {
  val o = val::object();
  o.set("x0", r.x0);
  o.set("y0", r.y0);
  o.set("x1", r.x1);
  o.set("y1", r.y1);
  return o;
}

// Reads a JS options object field by field, rejecting unknown names and wrong types with a clear message.
class OptionReader {
 public:
  OptionReader(val options, std::set<std::string> known) : options_(std::move(options)) {
    if (options_.isUndefined() || options_.isNull()) {
      options_ = val::object();
      return;
    }
    if (options_.typeOf().as<std::string>() != "object") {
      error_ = "Options must be an object.";
      return;
    }
    const val keys = val::global("Object").call<val>("keys", options_);
    const int n = keys["length"].as<int>();
    for (int i = 0; i < n && error_.empty(); ++i) {
      const std::string key = keys[i].as<std::string>();
      if (known.count(key) == 0) error_ = "Unknown option '" + key + "'.";
    }
  }

  const std::string& error() const { return error_; }

  void number(const char* name, double* out) {
    const val v = field(name);
    if (v.isUndefined()) return;
    if (v.typeOf().as<std::string>() != "number" || !std::isfinite(v.as<double>())) {
      fail(std::string("Option '") + name + "' must be a finite number.");
      return;
    }
    *out = v.as<double>();
  }

  void integer(const char* name, int* out) {
    double d = *out;
    number(name, &d);
    if (d != std::floor(d) || std::fabs(d) > 2147483647.0) {
      fail(std::string("Option '") + name + "' must be an integer.");
      return;
    }
    *out = static_cast<int>(d);
  }

  void boolean(const char* name, bool* out) {
    const val v = field(name);
    if (v.isUndefined()) return;
    if (!v.isTrue() && !v.isFalse()) {
      fail(std::string("Option '") + name + "' must be true or false.");
      return;
    }
    *out = v.isTrue();
  }

  template <typename Enum>
  void choice(const char* name, const std::vector<std::pair<const char*, Enum>>& choices, Enum* out) {
    const val v = field(name);
    if (v.isUndefined()) return;
    const std::string s = v.isString() ? v.as<std::string>() : std::string();
    std::string allowed;
    for (const auto& [label, value] : choices) {
      if (s == label) {
        *out = value;
        return;
      }
      allowed += allowed.empty() ? std::string("'") + label + "'" : std::string(", '") + label + "'";
    }
    fail(std::string("Option '") + name + "' must be one of " + allowed + ".");
  }

  template <typename T>
  void triple(const char* name, double lo, double hi, std::array<T, 3>* out) {
    const val v = field(name);
    if (v.isUndefined()) return;
    const bool is_array = val::global("Array").call<bool>("isArray", v);
    if (!is_array || v["length"].as<int>() != 3) {
      fail(std::string("Option '") + name + "' must be an array of 3 numbers.");
      return;
    }
    for (int i = 0; i < 3; ++i) {
      const val e = v[i];
      if (e.typeOf().as<std::string>() != "number" || !(e.as<double>() >= lo && e.as<double>() <= hi)) {
        fail(std::string("Option '") + name + "' must hold 3 numbers between " + std::to_string(lo) + " and " +
             std::to_string(hi) + ".");
        return;
      }
      (*out)[i] = static_cast<T>(e.as<double>());
    }
  }

 private:
  val field(const char* name) const { return error_.empty() ? options_[name] : val::undefined(); }
  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

  val options_;
  std::string error_;
};

// Copies a typed array's elements into wasm memory (the view is created after the allocation, used once).
// A Uint8ClampedArray is re-viewed as Uint8Array so set() is a memcpy, not a per-element conversion.
template <typename T>
std::vector<T> copy_in(const val& typed_array) {
  std::vector<T> out(typed_array["length"].as<size_t>());
  val source = typed_array;
  if (typed_array.instanceof (val::global("Uint8ClampedArray"))) {
    source = val::global("Uint8Array").new_(typed_array["buffer"], typed_array["byteOffset"], typed_array["length"]);
  }
  val(typed_memory_view(out.size(), out.data())).call<void>("set", source);
  return out;
}

// Copies a Uint8Array / Uint8ClampedArray / ArrayBuffer into wasm memory.
Result<std::vector<uint8_t>> read_bytes(const val& input) {
  val bytes = input;
  if (input.instanceof (val::global("ArrayBuffer"))) bytes = val::global("Uint8Array").new_(input);
  if (!bytes.instanceof (val::global("Uint8Array")) && !bytes.instanceof (val::global("Uint8ClampedArray"))) {
    return Error{ErrorCode::kInvalidArgument, "Image bytes must be a Uint8Array or an ArrayBuffer."};
  }
  return copy_in<uint8_t>(bytes);
}

Result<std::vector<float>> read_floats(const val& input, const std::string& what) {
  if (!input.instanceof (val::global("Float32Array"))) {
    return Error{ErrorCode::kInvalidArgument, what + " must be a Float32Array."};
  }
  return copy_in<float>(input);
}

Result<DecodeOptions> read_decode_options(OptionReader& reader) {
  DecodeOptions options;
  double max_pixels = static_cast<double>(options.max_pixels);
  reader.number("maxPixels", &max_pixels);
  reader.boolean("applyExifOrientation", &options.apply_exif_orientation);
  if (!reader.error().empty()) return Error{ErrorCode::kInvalidArgument, reader.error()};
  if (max_pixels < 1 || max_pixels > static_cast<double>(kMaxPixelsLimit)) {
    return Error{ErrorCode::kInvalidArgument,
                 "Option 'maxPixels' must be between 1 and " + std::to_string(kMaxPixelsLimit) + "."};
  }
  options.max_pixels = static_cast<uint64_t>(max_pixels);
  return options;
}

val photo_info_to_js(const DecodedImage& d) {
  val o = val::object();
  o.set("width", d.image.width);
  o.set("height", d.image.height);
  o.set("format", val(image_format_name(d.format)));
  o.set("storedWidth", d.stored_width);
  o.set("storedHeight", d.stored_height);
  o.set("exifOrientation", d.exif_orientation);
  o.set("bitsPerChannel", d.bits_per_channel);
  o.set("channels", d.channels);
  return o;
}

// decodeImage(bytes, {maxPixels, applyExifOrientation}) ->
//   {width, height, format, storedWidth, storedHeight, exifOrientation, bitsPerChannel, channels,
//    rgb: Uint8Array(width * height * 3)} | Error
val decode_image_js(val input, val js_options) {
  OptionReader reader(js_options, {"maxPixels", "applyExifOrientation"});
  auto options = read_decode_options(reader);
  if (!options) return make_js_error(options.error());
  auto bytes = read_bytes(input);
  if (!bytes) return make_js_error(bytes.error());
  auto decoded = decode_image(bytes.value().data(), bytes.value().size(), options.value());
  if (!decoded) return make_js_error(decoded.error());
  val out = photo_info_to_js(decoded.value());
  out.set("rgb", copy_out(decoded.value().image.pixels));
  return out;
}

// Option 'quality': thresholds overriding PhotoQualityThresholds' defaults, within their ranges (photo_quality.h).
Result<PhotoQualityThresholds> read_quality_thresholds(const val& js) {
  PhotoQualityThresholds t;
  std::set<std::string> names;
  for (const QualityThresholdRange& range : quality_threshold_ranges()) names.emplace(range.name);
  OptionReader reader(js, names);
  reader.integer("minSide", &t.min_side);
  reader.number("minSharpness", &t.min_sharpness);
  reader.number("minBrightLevel", &t.min_bright_level);
  reader.number("maxShadows", &t.max_shadows);
  reader.number("maxHighlights", &t.max_highlights);
  reader.number("minColourfulness", &t.min_colourfulness);
  reader.number("maxColourNoise", &t.max_colour_noise);
  if (!reader.error().empty()) return Error{ErrorCode::kInvalidArgument, "Option 'quality': " + reader.error()};
  return check_quality_thresholds(t);
}

// qualityThresholdRanges() -> [{name, min, max, integer}]: what an override of each threshold may be.
val quality_threshold_ranges_js() {
  val out = val::array();
  for (const QualityThresholdRange& range : quality_threshold_ranges()) {
    val r = val::object();
    r.set("name", val(range.name));
    r.set("min", val(range.min));
    r.set("max", val(range.max));
    r.set("integer", val(range.integer));
    out.call<void>("push", r);
  }
  return out;
}

// {photoWidth, photoHeight, sharpness, contrast, meanLuminance, brightLevel, highlights, shadows, colourfulness,
//  colourNoise, issues: [{code, value, threshold}]}
val quality_to_js(const PhotoQuality& q, const PhotoQualityThresholds& thresholds) {
  val o = val::object();
  o.set("photoWidth", q.photo_width);
  o.set("photoHeight", q.photo_height);
  o.set("sharpness", q.sharpness);
  o.set("contrast", q.contrast);
  o.set("meanLuminance", q.mean_luminance);
  o.set("brightLevel", q.bright_level);
  o.set("highlights", q.highlights);
  o.set("shadows", q.shadows);
  o.set("colourfulness", q.colourfulness);
  o.set("colourNoise", q.colour_noise);
  val issues = val::array();
  for (const QualityIssue& issue : judge_photo_quality(q, thresholds)) {
    val i = val::object();
    i.set("code", val(quality_code_name(issue.code)));
    i.set("value", issue.value);
    i.set("threshold", issue.threshold);
    issues.call<void>("push", i);
  }
  o.set("issues", issues);
  return o;
}

// The region option [x, y, width, height] in upright photo pixels (preprocess.h); absent: the whole photo.
Result<Rect> read_region(const val& js_options) {
  const val v = js_options.isUndefined() || js_options.isNull() ? val::undefined() : js_options["region"];
  if (v.isUndefined() || v.isNull()) return Rect{};
  const bool ok = val::global("Array").call<bool>("isArray", v) && v["length"].as<int>() == 4;
  std::array<double, 4> n{};
  for (int i = 0; ok && i < 4; ++i) n[i] = v[i].isNumber() ? v[i].as<double>() : -1;
  if (!ok || n[0] < 0 || n[1] < 0 || n[2] < 1 || n[3] < 1 ||
      !std::all_of(n.begin(), n.end(), [](double d) { return d == std::floor(d) && d < 1e9; })) {
    return Error{ErrorCode::kInvalidArgument,
                 "Option 'region' must be [x, y, width, height] in whole pixels, "
                 "width and height at least 1."};
  }
  return Rect{n[0], n[1], n[0] + n[2], n[1] + n[3]};
}

// The photo to prepare: file bytes (JPEG, PNG, BMP: decoded by stb_image here) or pixels a browser decoded
// ({width, height, rgba}: WebP, AVIF, HEIC), the latter reported as format "browser-decoded".
Result<DecodedImage> read_photo(const val& input, const DecodeOptions& options) {
  if (!input.isUndefined() && !input.isNull() && input.hasOwnProperty("rgba")) {
    OptionReader reader(input, {"width", "height", "rgba"});
    int width = 0;
    int height = 0;
    reader.integer("width", &width);
    reader.integer("height", &height);
    if (!reader.error().empty()) return Error{ErrorCode::kInvalidArgument, reader.error()};
    auto rgba = read_bytes(input["rgba"]);
    if (!rgba) return rgba.error();
    auto rgb = rgb_from_rgba(rgba.value().data(), rgba.value().size(), width, height, options);
    if (!rgb) return rgb.error();
    DecodedImage d;
    d.image = std::move(rgb.value());
    d.stored_width = width;
    d.stored_height = height;
    d.channels = 4;
    return d;
  }
  auto bytes = read_bytes(input);
  if (!bytes) return bytes.error();
  return decode_image(bytes.value().data(), bytes.value().size(), options);
}

// prepareImage(bytes | {width, height, rgba}, options) ->
//   {photo, tensor: {data, shape, layout}, display: {width, height, rgba}, shown (the region the display shows),
//    placement: {sourceRegion, tensorContent}, tensorToDisplay, quality (photo_quality.h, over the region the
//    model sees)} | Error
val prepare_image_js(val input, val js_options) {
  OptionReader reader(js_options, {"maxPixels", "applyExifOrientation", "width", "height", "resize", "padColor",
                                   "scale", "mean", "std", "layout", "filter", "maxDisplaySide", "quality", "region"});
  auto decode_options = read_decode_options(reader);
  if (!decode_options) return make_js_error(decode_options.error());
  PreprocessOptions p;
  int max_display_side = kDefaultDisplaySide;
  reader.integer("width", &p.width);
  reader.integer("height", &p.height);
  reader.integer("maxDisplaySide", &max_display_side);
  reader.choice<ResizePolicy>("resize",
                              {{"stretch", ResizePolicy::kStretch},
                               {"center-crop", ResizePolicy::kCenterCrop},
                               {"letterbox", ResizePolicy::kLetterbox}},
                              &p.policy);
  reader.choice<PixelScale>("scale", {{"0-1", PixelScale::kUnit}, {"0-255", PixelScale::kByte}}, &p.scale);
  reader.choice<TensorLayout>("layout", {{"NCHW", TensorLayout::kNCHW}, {"NHWC", TensorLayout::kNHWC}}, &p.layout);
  reader.choice<ResampleFilter>(
      "filter",
      {{"triangle", ResampleFilter::kTriangle}, {"box", ResampleFilter::kBox}, {"cubic", ResampleFilter::kCubic}},
      &p.filter);
  reader.triple("padColor", 0, 255, &p.pad_color);
  reader.triple("mean", -1e6, 1e6, &p.mean);
  reader.triple("std", -1e6, 1e6, &p.std);
  if (!reader.error().empty()) return make_js_error({ErrorCode::kInvalidArgument, reader.error()});
  auto region = read_region(js_options);
  if (!region) return make_js_error(region.error());
  auto thresholds = read_quality_thresholds(js_options.isUndefined() || js_options.isNull() ? val::undefined()
                                                                                            : js_options["quality"]);
  if (!thresholds) return make_js_error(thresholds.error());
  // Refuse bad preprocessing options before spending time on decoding (the region needs the photo's size).
  if (auto planned = plan_placement(1, 1, p); !planned) return make_js_error(planned.error());
  p.region = region.value();

  auto decoded = read_photo(input, decode_options.value());
  if (!decoded) return make_js_error(decoded.error());
  auto prepared = prepare_photo(decoded.value().image, p, max_display_side);
  if (!prepared) return make_js_error(prepared.error());
  const PreparedPhoto& result = prepared.value();

  const ModelTensor& t = result.tensor;
  val js_tensor = val::object();
  js_tensor.set("data", copy_out(t.data));
  val shape = val::array();
  for (int d : t.shape) shape.call<void>("push", d);
  js_tensor.set("shape", shape);
  js_tensor.set("layout", val(t.layout == TensorLayout::kNCHW ? "NCHW" : "NHWC"));

  const RgbaImage& d = result.display;
  val js_display = val::object();
  js_display.set("width", d.width);
  js_display.set("height", d.height);
  js_display.set("rgba", copy_out_clamped(d.pixels));

  val js_placement = val::object();
  js_placement.set("sourceRegion", rect_to_js(t.placement.source_region));
  js_placement.set("tensorContent", rect_to_js(t.placement.tensor_content));

  const TensorToDisplay& m = result.mapping;
  val js_mapping = val::object();
  js_mapping.set("scaleX", m.scale_x);
  js_mapping.set("scaleY", m.scale_y);
  js_mapping.set("offsetX", m.offset_x);
  js_mapping.set("offsetY", m.offset_y);

  val photo = photo_info_to_js(decoded.value());
  if (input.hasOwnProperty("rgba")) photo.set("format", val("browser-decoded"));
  val out = val::object();
  out.set("quality", quality_to_js(result.quality, thresholds.value()));
  out.set("photo", photo);
  out.set("shown", rect_to_js(result.shown));
  out.set("tensor", js_tensor);
  out.set("display", js_display);
  out.set("placement", js_placement);
  out.set("tensorToDisplay", js_mapping);
  return out;
}

// camMethods() -> [{id, label, description, reference, needsGradients,
//                  target: 'class' | 'finer' | 'channel_scores' | 'ablation_drops'}]
// from the registry.
val cam_methods_js() {
  val list = val::array();
  for (const CamMethodInfo& info : cam_method_registry()) {
    val o = val::object();
    o.set("id", val(info.id));
    o.set("label", val(info.label));
    o.set("description", val(info.description));
    o.set("reference", val(info.reference));
    o.set("needsGradients", info.needs_gradients);
    o.set("target", val(info.target == Target::kFinerComparison ? "finer"
                        : info.target == Target::kChannelScores ? "channel_scores"
                        : info.target == Target::kAblationDrops ? "ablation_drops"
                                                                : "class"));
    list.call<void>("push", o);
  }
  return list;
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

// One target layer as the explain graph returns it: activations [1, C, h, w] (NCHW) or [1, h, w, C] (NHWC),
// gradients [K, ...same] for K classes, or with `gradientsPerChannel` [K, C]: one value per channel, the same at
// every position (a global average pool's gradient), spread here over the positions of the explained class only;
// `channelValues` [C] for a method that weights channels by its own model runs (Score-CAM, Ablation-CAM). The
// wasm copies live in `storage` for the duration of the call.
struct LayerStorage {
  std::vector<float> activations;
  std::vector<float> gradients;
  std::vector<float> channel_values;
};

Result<LayerInput> read_layer(const val& js, int class_index, const CamMethodInfo& method, LayerStorage& storage) {
  const bool needs_gradients = method.needs_gradients;
  OptionReader reader(js, {"activations", "gradients", "gradientsPerChannel", "channelValues", "shape", "layout"});
  TensorLayout layout = TensorLayout::kNCHW;
  bool per_channel = false;
  reader.choice<TensorLayout>("layout", {{"NCHW", TensorLayout::kNCHW}, {"NHWC", TensorLayout::kNHWC}}, &layout);
  reader.boolean("gradientsPerChannel", &per_channel);
  if (!reader.error().empty()) return Error{ErrorCode::kInvalidArgument, reader.error()};
  const val shape = js["shape"];
  if (!val::global("Array").call<bool>("isArray", shape) || shape["length"].as<int>() != 4) {
    return Error{ErrorCode::kInvalidArgument, "A layer's 'shape' must be its activations' shape, 4 numbers."};
  }
  int dims[4];
  for (int i = 0; i < 4; ++i) {
    const val d = shape[i];
    if (d.typeOf().as<std::string>() != "number" || d.as<double>() < 1 || d.as<double>() > 1e8 ||
        d.as<double>() != static_cast<double>(d.as<int>())) {
      return Error{ErrorCode::kInvalidArgument, "A layer's 'shape' must hold 4 positive integers."};
    }
    dims[i] = d.as<int>();
  }
  if (dims[0] != 1) return Error{ErrorCode::kInvalidArgument, "Activations must have batch size 1."};
  LayerInput layer;
  layer.layout = layout;
  layer.channels = layout == TensorLayout::kNCHW ? dims[1] : dims[3];
  layer.height = layout == TensorLayout::kNCHW ? dims[2] : dims[1];
  layer.width = layout == TensorLayout::kNCHW ? dims[3] : dims[2];
  const double elements = static_cast<double>(layer.channels) * layer.height * layer.width;
  if (elements > static_cast<double>(kMaxLayerElements)) {
    return Error{ErrorCode::kInvalidArgument, "The target layer is too large."};
  }
  auto activations = read_floats(js["activations"], "A layer's 'activations'");
  if (!activations) return activations.error();
  storage.activations = std::move(activations).value();
  if (static_cast<double>(storage.activations.size()) != elements) {
    return Error{ErrorCode::kInvalidArgument, "A layer's activations do not match its shape."};
  }
  layer.activations = storage.activations.data();
  const val js_gradients = js["gradients"];
  if (!js_gradients.isUndefined() && !js_gradients.isNull()) {
    auto gradients = read_floats(js_gradients, "A layer's 'gradients'");
    if (!gradients) return gradients.error();
    storage.gradients = std::move(gradients).value();
    const size_t per_class = per_channel ? static_cast<size_t>(layer.channels) : storage.activations.size();
    if (storage.gradients.empty() || storage.gradients.size() % per_class != 0) {
      return Error{ErrorCode::kInvalidArgument,
                   per_channel ? "A layer's per-channel gradients must be K x its channel count."
                               : "A layer's gradients must be K copies of its activations' shape."};
    }
    const size_t classes = storage.gradients.size() / per_class;
    if (class_index < 0 || static_cast<size_t>(class_index) >= classes) {
      return Error{ErrorCode::kInvalidArgument, "'classIndex' " + std::to_string(class_index) + " is outside the " +
                                                    std::to_string(classes) + " explained classes."};
    }
    if (per_channel) {
      const float* values = storage.gradients.data() + per_class * class_index;
      const size_t positions = static_cast<size_t>(layer.height) * layer.width;
      std::vector<float> spread(storage.activations.size());
      for (size_t c = 0; c < per_class; ++c) {
        for (size_t p = 0; p < positions; ++p) {
          spread[layout == TensorLayout::kNCHW ? c * positions + p : p * per_class + c] = values[c];
        }
      }
      storage.gradients = std::move(spread);
      layer.gradients = storage.gradients.data();
    } else {
      layer.gradients = storage.gradients.data() + per_class * class_index;
    }
  } else if (needs_gradients) {
    return Error{ErrorCode::kInvalidArgument, "This method needs gradients; the layer has none."};
  }
  const val js_values = js["channelValues"];
  if (!js_values.isUndefined() && !js_values.isNull()) {
    auto values = read_floats(js_values, "A layer's 'channelValues'");
    if (!values) return values.error();
    storage.channel_values = std::move(values).value();
    if (storage.channel_values.size() != static_cast<size_t>(layer.channels)) {
      return Error{ErrorCode::kInvalidArgument, "A layer's 'channelValues' must hold one value per channel."};
    }
    layer.channel_values = storage.channel_values.data();
  } else if (reads_channel_values(method.target)) {
    return Error{ErrorCode::kInvalidArgument,
                 "This method needs a value per channel ('channelValues'); the layer has none."};
  }
  return layer;
}

// computeCam({method, eigenSmooth, classIndex, outputWidth, outputHeight,
//   runs: [{flipped, layers: [{activations, gradients, gradientsPerChannel, channelValues, shape, layout}]}]})
//   -> {map: Float32Array, width, height, status, message, layers: [{raw, width, height, rawMin, rawMax, status}]}
val compute_cam_js(val js_options) {
  OptionReader reader(js_options, {"method", "eigenSmooth", "classIndex", "outputWidth", "outputHeight", "runs"});
  CamOptions options;
  int class_index = 0;
  reader.boolean("eigenSmooth", &options.eigen_smooth);
  reader.integer("classIndex", &class_index);
  reader.integer("outputWidth", &options.output_width);
  reader.integer("outputHeight", &options.output_height);
  if (!reader.error().empty()) return make_js_error({ErrorCode::kInvalidArgument, reader.error()});
  const val js_method = js_options["method"];
  const CamMethodInfo* method = js_method.isString() ? find_cam_method(js_method.as<std::string>()) : nullptr;
  if (method == nullptr) {
    std::string ids;
    for (const CamMethodInfo& info : cam_method_registry()) ids += (ids.empty() ? "" : ", ") + std::string(info.id);
    return make_js_error({ErrorCode::kInvalidArgument, "Option 'method' must be one of " + ids + "."});
  }
  options.method = method->id;

  const val js_runs = js_options["runs"];
  if (!val::global("Array").call<bool>("isArray", js_runs)) {
    return make_js_error({ErrorCode::kInvalidArgument, "Option 'runs' must be an array."});
  }
  const int run_count = js_runs["length"].as<int>();
  if (run_count < 1 || run_count > kMaxCamRuns) {
    return make_js_error(
        {ErrorCode::kInvalidArgument, "'runs' must hold 1 to " + std::to_string(kMaxCamRuns) + " runs."});
  }
  std::vector<std::vector<LayerStorage>> storage(run_count);
  std::vector<CamRun> runs(run_count);
  for (int r = 0; r < run_count; ++r) {
    const val js_run = js_runs[r];
    OptionReader run_reader(js_run, {"flipped", "layers"});
    run_reader.boolean("flipped", &runs[r].flipped);
    if (!run_reader.error().empty()) return make_js_error({ErrorCode::kInvalidArgument, run_reader.error()});
    const val js_layers = js_run["layers"];
    if (!val::global("Array").call<bool>("isArray", js_layers) || js_layers["length"].as<int>() < 1 ||
        js_layers["length"].as<int>() > kMaxCamLayers) {
      return make_js_error({ErrorCode::kInvalidArgument,
                            "Each run needs 'layers': 1 to " + std::to_string(kMaxCamLayers) + " target layers."});
    }
    const int layer_count = js_layers["length"].as<int>();
    storage[r].resize(layer_count);
    for (int l = 0; l < layer_count; ++l) {
      auto layer = read_layer(js_layers[l], class_index, *method, storage[r][l]);
      if (!layer) return make_js_error(layer.error());
      runs[r].layers.push_back(layer.value());
    }
  }

  auto result = compute_cam(runs, options);
  if (!result) return make_js_error(result.error());
  const CamResult& cam = result.value();
  val out = val::object();
  out.set("map", copy_out(cam.map));
  out.set("width", cam.width);
  out.set("height", cam.height);
  out.set("status", val(map_status_name(cam.status)));
  out.set("message", val(map_status_message(cam.status)));
  val layers = val::array();
  for (const LayerMap& lm : cam.layers) {
    val o = val::object();
    o.set("raw", copy_out(lm.raw));
    o.set("width", lm.width);
    o.set("height", lm.height);
    o.set("rawMin", lm.raw_min);
    o.set("rawMax", lm.raw_max);
    o.set("status", val(map_status_name(lm.status)));
    layers.call<void>("push", o);
  }
  out.set("layers", layers);
  return out;
}

Result<RgbaImage> read_rgba(const val& js) {
  if (js.isUndefined() || js.isNull())
    return Error{ErrorCode::kInvalidArgument, "An image {width, height, rgba} is needed."};
  const val w = js["width"];
  const val h = js["height"];
  const val rgba = js["rgba"];
  if (w.typeOf().as<std::string>() != "number" || h.typeOf().as<std::string>() != "number" ||
      !(rgba.instanceof (val::global("Uint8ClampedArray")) || rgba.instanceof (val::global("Uint8Array")))) {
    return Error{ErrorCode::kInvalidArgument, "An image must be {width, height, rgba: Uint8ClampedArray}."};
  }
  RgbaImage image;
  image.width = w.as<int>();
  image.height = h.as<int>();
  if (image.width < 1 || image.height < 1 || image.width > 16384 || image.height > 16384 ||
      rgba["length"].as<double>() != 4.0 * image.width * image.height) {
    return Error{ErrorCode::kInvalidArgument, "The image's rgba length does not match width x height x 4."};
  }
  image.pixels = copy_in<uint8_t>(rgba);
  return image;
}

Result<Rect> read_rect(const val& js, const char* name) {
  Rect r;
  OptionReader reader(js, {"x0", "y0", "x1", "y1"});
  reader.number("x0", &r.x0);
  reader.number("y0", &r.y0);
  reader.number("x1", &r.x1);
  reader.number("y1", &r.y1);
  if (!reader.error().empty() || !(r.x1 > r.x0 && r.y1 > r.y0)) {
    return Error{ErrorCode::kInvalidArgument,
                 std::string("'") + name + "' must be {x0, y0, x1, y1} with x1 > x0, y1 > y0."};
  }
  return r;
}

// The map and where it lands on the display copy: what renderOverlay and heatLayers share.
struct HeatSource {
  std::vector<float> map;
  int width = 0;
  int height = 0;
  Rect content;
  TensorToDisplay mapping;
};

Result<HeatSource> read_heat_source(const val& js_options, OptionReader& reader) {
  HeatSource source;
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
  auto content = read_rect(js_options["tensorContent"], "tensorContent");
  if (!content) return content.error();
  source.content = content.value();
  if (js_options["tensorToDisplay"].isUndefined()) {
    return Error{ErrorCode::kInvalidArgument, "'tensorToDisplay' is needed (prepareImage returns it)."};
  }
  OptionReader mapping_reader(js_options["tensorToDisplay"], {"scaleX", "scaleY", "offsetX", "offsetY"});
  mapping_reader.number("scaleX", &source.mapping.scale_x);
  mapping_reader.number("scaleY", &source.mapping.scale_y);
  mapping_reader.number("offsetX", &source.mapping.offset_x);
  mapping_reader.number("offsetY", &source.mapping.offset_y);
  if (!mapping_reader.error().empty()) return Error{ErrorCode::kInvalidArgument, mapping_reader.error()};
  return source;
}

val box_to_js(bool has_box, const HotBox& box) {
  if (!has_box) return val::null();
  return rect_to_js({static_cast<double>(box.x0), static_cast<double>(box.y0), static_cast<double>(box.x1),
                     static_cast<double>(box.y1)});
}

// renderOverlay({display, map, mapWidth, mapHeight, tensorContent, tensorToDisplay, colormap, opacity,
//                outline, box, threshold}) -> {width, height, rgba: Uint8ClampedArray, box: {x0,y0,x1,y1}|null}
val render_overlay_js(val js_options) {
  OptionReader reader(js_options, {"display", "map", "mapWidth", "mapHeight", "tensorContent", "tensorToDisplay",
                                   "colormap", "opacity", "outline", "box", "threshold"});
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
  if (!reader.error().empty()) return make_js_error({ErrorCode::kInvalidArgument, reader.error()});
  o.opacity = static_cast<float>(opacity);
  o.threshold = static_cast<float>(threshold);

  auto display = read_rgba(js_options["display"]);
  if (!display) return make_js_error(display.error());
  auto source = read_heat_source(js_options, reader);
  if (!source) return make_js_error(source.error());
  const HeatSource& s = source.value();
  auto overlay = render_overlay(display.value(), s.map.data(), s.width, s.height, s.content, s.mapping, o);
  if (!overlay) return make_js_error(overlay.error());
  const Overlay& result = overlay.value();
  val out = val::object();
  out.set("width", result.image.width);
  out.set("height", result.image.height);
  out.set("rgba", copy_out_clamped(result.image.pixels));
  out.set("box", box_to_js(result.has_box, result.box));
  return out;
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
  const val into = js_options["into"];
  const bool has_into = !into.isUndefined() && !into.isNull();
  if (has_into && (!into.instanceof
                   (val::global("Uint8Array")) || into["length"].as<double>() != static_cast<double>(width) * height)) {
    return make_js_error(
        {ErrorCode::kInvalidArgument, "'into' must be a Uint8Array of displayWidth x displayHeight bytes."});
  }
  auto source = read_heat_source(js_options, reader);
  if (!source) return make_js_error(source.error());
  const HeatSource& s = source.value();
  auto layers =
      heat_layers(s.map.data(), s.width, s.height, s.content, s.mapping, width, height, static_cast<float>(threshold));
  if (!layers) return make_js_error(layers.error());
  const HeatLayers& l = layers.value();
  val out = val::object();
  out.set("width", l.width);
  out.set("height", l.height);
  if (has_into) into.call<void>("set", val(typed_memory_view(l.index.size(), l.index.data())));
  out.set("index", has_into ? into : copy_out(l.index));
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

// encodePng({width, height, rgba}) -> Uint8Array (PNG file bytes)
val encode_png_js(val js_image) {
  auto image = read_rgba(js_image);
  if (!image) return make_js_error(image.error());
  auto png = encode_png(image.value());
  if (!png) return make_js_error(png.error());
  return copy_out(png.value());
}

}  // namespace
}  // namespace dermcam

EMSCRIPTEN_BINDINGS(dermcam) {
  emscripten::function("decodeImage", &dermcam::decode_image_js);
  emscripten::function("prepareImage", &dermcam::prepare_image_js);
  emscripten::function("camMethods", &dermcam::cam_methods_js);
  emscripten::function("qualityThresholdRanges", &dermcam::quality_threshold_ranges_js);
  emscripten::function("colormaps", &dermcam::colormaps_js);
  emscripten::function("computeCam", &dermcam::compute_cam_js);
  emscripten::function("renderOverlay", &dermcam::render_overlay_js);
  emscripten::function("heatLayers", &dermcam::heat_layers_js);
  emscripten::function("encodePng", &dermcam::encode_png_js);
}

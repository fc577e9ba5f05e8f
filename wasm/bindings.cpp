// The one Embind file: JS <-> dermcam core. Coarse calls only: bytes in, everything the caller needs out,
// copied into JS-owned typed arrays before returning (no view of wasm memory escapes).
//
// Failures are returned, not thrown: a JS Error with `code` (error_code_name) and `message`. Throwing from
// here would skip C++ destructors and leak; web/js/core.mjs turns a returned Error into a thrown one.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "decode.h"
#include "error.h"
#include "preprocess.h"

namespace dermcam {
namespace {

using emscripten::typed_memory_view;
using emscripten::val;

val make_js_error(const Error& error) {
  val js_error = val::global("Error").new_(val(error.message));
  js_error.set("code", val(error_code_name(error.code)));
  return js_error;
}

template <typename T>
val copy_out(const char* array_type, const std::vector<T>& data) {
  return val::global(array_type).new_(val(typed_memory_view(data.size(), data.data())));
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

// Copies a Uint8Array / Uint8ClampedArray / ArrayBuffer into wasm memory.
Result<std::vector<uint8_t>> read_bytes(const val& input) {
  val bytes = input;
  if (input.instanceof(val::global("ArrayBuffer"))) bytes = val::global("Uint8Array").new_(input);
  if (!bytes.instanceof(val::global("Uint8Array")) && !bytes.instanceof(val::global("Uint8ClampedArray"))) {
    return Error{ErrorCode::kInvalidArgument, "Image bytes must be a Uint8Array or an ArrayBuffer."};
  }
  std::vector<uint8_t> out(bytes["length"].as<size_t>());
  val(typed_memory_view(out.size(), out.data())).call<void>("set", bytes);
  return out;
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
  out.set("rgb", copy_out("Uint8Array", decoded.value().image.pixels));
  return out;
}

// prepareImage(bytes, options) -> {photo, tensor: {data, shape, layout}, display: {width, height, rgba},
//                                  placement: {sourceRegion, tensorContent}, tensorToDisplay} | Error
val prepare_image_js(val input, val js_options) {
  OptionReader reader(js_options, {"maxPixels", "applyExifOrientation", "width", "height", "resize", "padColor",
                                   "scale", "mean", "std", "layout", "filter", "maxDisplaySide"});
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
  // Refuse bad preprocessing options before spending time on decoding.
  if (auto planned = plan_placement(1, 1, p); !planned) return make_js_error(planned.error());

  auto bytes = read_bytes(input);
  if (!bytes) return make_js_error(bytes.error());
  auto decoded = decode_image(bytes.value().data(), bytes.value().size(), decode_options.value());
  if (!decoded) return make_js_error(decoded.error());
  bytes.value() = {};
  const RgbImage& photo = decoded.value().image;
  auto tensor = make_model_tensor(photo, p);
  if (!tensor) return make_js_error(tensor.error());
  auto display = make_display_image(photo, max_display_side);
  if (!display) return make_js_error(display.error());

  const ModelTensor& t = tensor.value();
  val js_tensor = val::object();
  js_tensor.set("data", copy_out("Float32Array", t.data));
  val shape = val::array();
  for (int d : t.shape) shape.call<void>("push", d);
  js_tensor.set("shape", shape);
  js_tensor.set("layout", val(t.layout == TensorLayout::kNCHW ? "NCHW" : "NHWC"));

  const RgbaImage& d = display.value();
  val js_display = val::object();
  js_display.set("width", d.width);
  js_display.set("height", d.height);
  js_display.set("rgba", copy_out("Uint8ClampedArray", d.pixels));

  val js_placement = val::object();
  js_placement.set("sourceRegion", rect_to_js(t.placement.source_region));
  js_placement.set("tensorContent", rect_to_js(t.placement.tensor_content));

  const TensorToDisplay m = map_tensor_to_display(t.placement, photo.width, photo.height, d.width, d.height);
  val js_mapping = val::object();
  js_mapping.set("scaleX", m.scale_x);
  js_mapping.set("scaleY", m.scale_y);
  js_mapping.set("offsetX", m.offset_x);
  js_mapping.set("offsetY", m.offset_y);

  val out = val::object();
  out.set("photo", photo_info_to_js(decoded.value()));
  out.set("tensor", js_tensor);
  out.set("display", js_display);
  out.set("placement", js_placement);
  out.set("tensorToDisplay", js_mapping);
  return out;
}

}  // namespace
}  // namespace dermcam

EMSCRIPTEN_BINDINGS(dermcam) {
  emscripten::function("decodeImage", &dermcam::decode_image_js);
  emscripten::function("prepareImage", &dermcam::prepare_image_js);
}

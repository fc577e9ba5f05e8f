#include "js_values.h"

namespace dermcam::js {

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

val copy_out_clamped(const std::vector<uint8_t>& data) {
  return val::global("Uint8ClampedArray").new_(copy_out(data)["buffer"]);
}

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

}  // namespace dermcam::js

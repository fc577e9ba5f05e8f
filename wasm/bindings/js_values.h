// Conversions between JavaScript values and the core's types, shared by the binding files (photo.cpp, cam.cpp,
// overlay.cpp). Data in is copied into wasm memory once; data out is copied into JS-owned typed arrays once (no
// view of wasm memory escapes). Failures are returned (Result / a JS Error), never thrown: see module.cpp.
#pragma once

#include <emscripten/val.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "../error.h"
#include "../image.h"
#include "../resample.h"

namespace dermcam::js {

using emscripten::typed_memory_view;
using emscripten::val;

val make_js_error(const Error& error);

// A JS-owned copy: slice() of a view is a plain memcpy into a new ArrayBuffer.
template <typename T>
val copy_out(const std::vector<T>& data) {
  return val(typed_memory_view(data.size(), data.data())).template call<val>("slice");
}

// Pixels for ImageData: the same fast copy, seen as Uint8ClampedArray (converting element by element from
// a Uint8Array view would be several times slower for a 3 MB image).
val copy_out_clamped(const std::vector<uint8_t>& data);

// Plain structs the core returns go out as Embind value objects (module.cpp registers Rect as {x0, y0, x1, y1} and
// TensorToDisplay as {scaleX, scaleY, offsetX, offsetY}): `val(rect)`. Coming back in they are read by the option
// reader below instead, because a value object cannot refuse an unknown name, and a missing or non-numeric field
// would throw a TypeError in the glue rather than return our invalid_argument error.

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
Result<std::vector<uint8_t>> read_bytes(const val& input);

Result<std::vector<float>> read_floats(const val& input, const std::string& what);

// {width, height, rgba: Uint8ClampedArray | Uint8Array} as an RgbaImage (sizes checked against the rgba length).
Result<RgbaImage> read_rgba(const val& js);

// {x0, y0, x1, y1} with x1 > x0 and y1 > y0; `name` is the option's name in the message.
Result<Rect> read_rect(const val& js, const char* name);

}  // namespace dermcam::js

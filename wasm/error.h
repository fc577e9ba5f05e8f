// dermcam error values.
//
// The core never throws and never aborts on bad input: every fallible call returns Result<T>, which holds
// either a value or an Error: a stable machine-readable code, the values a sentence about it needs (params,
// e.g. the photo's pixel count and the limit) and a sentence for developers, in English. The Embind layer turns
// an Error into a JS Error with `code` (error_code_name), `params` and `message`; the page writes what a person
// reads from the code and params (web/js/errors.mjs, the i18n catalogue), never from `message`.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace dermcam {

enum class ErrorCode {
  kEmptyInput,          // zero bytes were given
  kUnsupportedFormat,   // a known image format dermcam does not decode (GIF, WebP, HEIC, ...); param format
  kUnrecognizedFormat,  // bytes that are not an image format dermcam knows (text, PDF, random data)
  kCorruptImage,        // a JPEG/PNG/BMP that is truncated or malformed; param format
  kImageTooLarge,       // width x height above the configured pixel limit; params pixels, limit (0 = not known)
  kRegionOutsidePhoto,  // the framing region is not whole pixels inside the photo; params photoWidth, photoHeight
  kInvalidArgument,     // options out of their documented range
  kOutOfMemory,         // an allocation failed
};

// Stable identifier, e.g. "unsupported_format"; JS code and tests match on it.
const char* error_code_name(ErrorCode code);

// A value a sentence about the error needs: a number, or a text (e.g. a format's name) when `text` is set.
struct ErrorParam {
  ErrorParam(std::string param_name, double value) : name(std::move(param_name)), number(value) {}
  ErrorParam(std::string param_name, std::string value) : name(std::move(param_name)), text(std::move(value)) {}
  std::string name;
  double number = 0;
  std::string text;
};

struct Error {
  ErrorCode code;
  std::string message;
  std::vector<ErrorParam> params = {};
};

template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const Error& error() const { return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

}  // namespace dermcam

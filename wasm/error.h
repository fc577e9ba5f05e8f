// dermcam error values.
//
// The core never throws and never aborts on bad input: every fallible call returns Result<T>, which holds
// either a value or an Error (a stable machine-readable code plus a sentence for people). The Embind layer
// turns an Error into a JS Error whose `code` property is error_code_name(code).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace dermcam {

enum class ErrorCode {
  kEmptyInput,           // zero bytes were given
  kUnsupportedFormat,    // a known image format dermcam does not decode (GIF, WebP, HEIC, TIFF, ...)
  kUnrecognizedFormat,   // bytes that are not an image format dermcam knows (text, PDF, random data)
  kCorruptImage,         // a JPEG/PNG/BMP that is truncated or malformed
  kImageTooLarge,        // width x height above the configured pixel limit
  kInvalidArgument,      // options out of their documented range
  kOutOfMemory,          // an allocation failed
};

// Stable identifier, e.g. "unsupported_format"; JS code and tests match on it.
const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
};

template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}    // NOLINT(google-explicit-constructor)

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

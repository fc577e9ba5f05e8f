#include "error.h"

namespace dermcam {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kEmptyInput:
      return "empty_input";
    case ErrorCode::kUnsupportedFormat:
      return "unsupported_format";
    case ErrorCode::kUnrecognizedFormat:
      return "unrecognized_format";
    case ErrorCode::kCorruptImage:
      return "corrupt_image";
    case ErrorCode::kImageTooLarge:
      return "image_too_large";
    case ErrorCode::kRegionOutsidePhoto:
      return "region_outside_photo";
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kOutOfMemory:
      return "out_of_memory";
  }
  return "unknown";
}

}  // namespace dermcam

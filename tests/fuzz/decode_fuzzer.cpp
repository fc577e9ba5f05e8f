// libFuzzer: arbitrary bytes through decoding, then (if they decode) preprocessing and the display copy.
#include <cstddef>
#include <cstdint>

#include "decode.h"
#include "preprocess.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dermcam::DecodeOptions options;
  options.max_pixels = 4'000'000;  // keeps each input fast; the limit itself is tested elsewhere
  auto decoded = dermcam::decode_image(data, size, options);
  if (!decoded.ok()) return 0;
  dermcam::PreprocessOptions p;
  p.width = 32;
  p.height = 24;
  p.policy = static_cast<dermcam::ResizePolicy>(size % 3);
  (void)dermcam::make_model_tensor(decoded.value().image, p);
  (void)dermcam::make_display_image(decoded.value().image, 64);
  return 0;
}

// libFuzzer: preprocessing with fuzzed image sizes, pixels and options (including NaN/zero mean and std,
// which must be refused, never crash).
#include <cstddef>
#include <cstdint>

#include "fuzz_input.h"
#include "preprocess.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dermcam::fuzz::Input in(data, size);
  dermcam::RgbImage image;
  image.width = in.in_range(0, 70);
  image.height = in.in_range(0, 70);
  image.pixels.resize(static_cast<size_t>(image.width) * image.height * 3);
  for (uint8_t& p : image.pixels) p = in.byte();
  dermcam::PreprocessOptions o;
  o.width = in.in_range(-2, 300);
  o.height = in.in_range(-2, 300);
  o.policy = static_cast<dermcam::ResizePolicy>(in.in_range(0, 2));
  o.layout = in.flag() ? dermcam::TensorLayout::kNHWC : dermcam::TensorLayout::kNCHW;
  o.scale = in.flag() ? dermcam::PixelScale::kByte : dermcam::PixelScale::kUnit;
  o.filter = static_cast<dermcam::ResampleFilter>(in.in_range(0, 2));
  for (int c = 0; c < 3; ++c) {
    o.mean[c] = in.flag() ? in.number() : in.tame();
    o.std[c] = in.flag() ? in.number() : in.tame();
    o.pad_color[c] = in.byte();
  }
  (void)dermcam::make_model_tensor(image, o);
  (void)dermcam::make_display_image(image, in.in_range(0, 200));
  const dermcam::Rect region{in.tame(), in.tame(), in.tame() + 8, in.tame() + 8};
  (void)dermcam::resample(image, region, in.in_range(0, 40), in.in_range(0, 40), o.filter);
  return 0;
}

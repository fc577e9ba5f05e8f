// libFuzzer: the CAM engine and the overlay with fuzzed shapes, methods, runs, values (NaN, infinities and
// huge numbers included) and mappings.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cam.h"
#include "fuzz_input.h"
#include "overlay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dermcam::fuzz::Input in(data, size);
  const int channels = in.in_range(0, 12);
  const int height = in.in_range(0, 7);
  const int width = in.in_range(0, 7);
  const int run_count = in.in_range(0, 3);
  const int layer_count = in.in_range(0, 2);
  const bool wild = in.flag();
  const size_t n = static_cast<size_t>(channels) * height * width;
  std::vector<std::vector<float>> storage;
  std::vector<dermcam::CamRun> runs(run_count);
  for (auto& run : runs) {
    run.flipped = in.flag();
    for (int l = 0; l < layer_count; ++l) {
      storage.emplace_back(n);
      for (float& v : storage.back()) v = wild ? in.number() : in.tame();
      const float* a = storage.back().data();
      storage.emplace_back(n);
      for (float& v : storage.back()) v = wild ? in.number() : in.tame();
      const float* g = in.flag() ? storage.back().data() : nullptr;
      run.layers.push_back(
          {a, g, channels, height, width, in.flag() ? dermcam::TensorLayout::kNHWC : dermcam::TensorLayout::kNCHW,
           g});  // the gradients' first C values double as Score-CAM's and Ablation-CAM's channel values
    }
  }
  dermcam::CamOptions options;
  const auto& methods = dermcam::cam_method_registry();
  options.method = methods[in.in_range(0, static_cast<int>(methods.size()) - 1)].id;
  options.eigen_smooth = in.flag();
  options.output_width = in.in_range(0, 48);
  options.output_height = in.in_range(0, 48);
  auto cam = dermcam::compute_cam(runs, options);
  if (!cam.ok()) return 0;
  for (float v : cam.value().map) {
    if (!(v >= 0.0f && v <= 1.0f + 1e-6f)) __builtin_trap();  // maps are always within [0, 1]
  }
  dermcam::RgbaImage display;
  display.width = in.in_range(1, 40);
  display.height = in.in_range(1, 40);
  display.pixels.assign(static_cast<size_t>(display.width) * display.height * 4, 128);
  const dermcam::Rect content{in.tame(), in.tame(), in.tame() + 20, in.tame() + 20};
  const dermcam::TensorToDisplay mapping{in.number(), in.tame(), in.tame(), in.number()};
  dermcam::OverlayOptions o;
  o.colormap = static_cast<dermcam::Colormap>(in.in_range(0, 3));
  o.opacity = in.flag() ? in.number() : in.byte() / 255.0f;
  o.outline = in.flag();
  o.box = in.flag();
  o.threshold = in.byte() / 255.0f;
  (void)dermcam::render_overlay(display, cam.value().map.data(), cam.value().width, cam.value().height, content,
                                mapping, o);
  return 0;
}

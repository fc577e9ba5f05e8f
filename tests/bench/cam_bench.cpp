// Google Benchmark targets for the CAM engine: each method on a MobileNetV2-sized target layer
// (1280 x 7 x 7, output 224 x 224), and upsampling + colormap + blend onto a 1024 x 768 photo.
// Run: build/native/tests/bench/dermcam_bench (scripts/bench.sh)
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "cam.h"
#include "overlay.h"

namespace dermcam {
namespace {

struct LayerData {
  std::vector<float> a, g;
  LayerData(int c, int h, int w) : a(static_cast<size_t>(c) * h * w), g(a.size()) {
    std::mt19937 rng(42);
    std::normal_distribution<float> n(0.0f, 1.0f);
    for (float& v : a) v = std::max(0.0f, n(rng));
    for (float& v : g) v = 0.01f * n(rng);
  }
};

void BM_CamMethod(benchmark::State& state) {
  const CamMethodInfo& method = cam_method_registry()[state.range(0)];
  const bool eigen = state.range(1) != 0;
  static const LayerData data(1280, 7, 7);
  const std::vector<CamRun> runs = {
      {{LayerInput{data.a.data(), data.g.data(), 1280, 7, 7, TensorLayout::kNCHW}}, false}};
  CamOptions options;
  options.method = method.id;
  options.eigen_smooth = eigen;
  for (auto _ : state) benchmark::DoNotOptimize(compute_cam(runs, options).value().map.data());
  state.SetLabel(std::string(method.id) + (eigen ? " +eigen_smooth" : ""));
}
BENCHMARK(BM_CamMethod)->ArgsProduct({benchmark::CreateDenseRange(0, 7, 1), {0, 1}})->Unit(benchmark::kMicrosecond);

RgbaImage photo(int w, int h) {
  RgbaImage img;
  img.width = w;
  img.height = h;
  img.pixels.assign(static_cast<size_t>(w) * h * 4, 128);
  return img;
}

// The whole display path for one explanation: 1280x7x7 -> 224 map -> 1024x768 overlay.
void BM_CamToOverlay1024x768(benchmark::State& state) {
  static const LayerData data(1280, 7, 7);
  const RgbaImage display = photo(1024, 768);
  PreprocessOptions p;
  p.policy = ResizePolicy::kStretch;
  const Placement placement = plan_placement(1024, 768, p).value();
  const TensorToDisplay m = map_tensor_to_display(placement, 1024, 768, 1024, 768);
  const std::vector<CamRun> runs = {
      {{LayerInput{data.a.data(), data.g.data(), 1280, 7, 7, TensorLayout::kNCHW}}, false}};
  OverlayOptions o;
  for (auto _ : state) {
    const CamResult cam = compute_cam(runs, CamOptions{}).value();
    benchmark::DoNotOptimize(
        render_overlay(display, cam.map.data(), 224, 224, placement.tensor_content, m, o).value().image.pixels.data());
  }
}
BENCHMARK(BM_CamToOverlay1024x768)->Unit(benchmark::kMillisecond);

// A 224 x 224 map (a ramp across x) stretched onto a 1024 x 768 display copy.
struct StretchedRamp {
  StretchedRamp() : map(224 * 224) {
    for (size_t i = 0; i < map.size(); ++i) map[i] = static_cast<float>(i % 224) / 223.0f;
    PreprocessOptions p;
    p.policy = ResizePolicy::kStretch;
    placement = plan_placement(1024, 768, p).value();
    to_display = map_tensor_to_display(placement, 1024, 768, 1024, 768);
  }
  std::vector<float> map;
  Placement placement;
  TensorToDisplay to_display;
};

// Upsample + colormap + blend only (what the PNG export and the CLI cost).
void BM_Overlay1024x768(benchmark::State& state) {
  const RgbaImage display = photo(1024, 768);
  const StretchedRamp ramp;
  const std::vector<float>& map = ramp.map;
  const Placement& placement = ramp.placement;
  const TensorToDisplay& m = ramp.to_display;
  OverlayOptions o;
  o.outline = state.range(0) != 0;
  o.box = state.range(0) != 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        render_overlay(display, map.data(), 224, 224, placement.tensor_content, m, o).value().image.pixels.data());
  }
  state.SetLabel(o.outline ? "with outline + box" : "blend only");
}
BENCHMARK(BM_Overlay1024x768)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// What the app's worker computes for the page after a CAM: the colormap index per display pixel, the outline and box.
void BM_HeatLayers1024x768(benchmark::State& state) {
  const StretchedRamp ramp;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        heat_layers(ramp.map.data(), 224, 224, ramp.placement.tensor_content, ramp.to_display, 1024, 768, 0.5f)
            .value()
            .index.data());
  }
}
BENCHMARK(BM_HeatLayers1024x768)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dermcam

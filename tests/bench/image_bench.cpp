// Google Benchmark targets for the image kernels: JPEG decode, antialiased resize, normalisation into the
// model tensor, and the display copy, on a 12 MP photo (4000 x 3000, generated and JPEG-encoded at start-up).
#include <benchmark/benchmark.h>
#include <stb_image_write.h>

#include <cmath>
#include <random>
#include <vector>

#include "decode.h"
#include "photo_quality.h"
#include "preprocess.h"
#include "resample.h"

namespace dermcam {
namespace {

RgbImage photo_like(int w, int h) {
  RgbImage img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w) * h * 3);
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> noise(-12, 12);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &img.pixels[(static_cast<size_t>(y) * w + x) * 3];
      const double r = std::hypot(x - w / 2.0, y - h / 2.0) / w;
      p[0] = static_cast<uint8_t>(std::clamp(190 - 120 * r + noise(rng), 0.0, 255.0));
      p[1] = static_cast<uint8_t>(std::clamp(140 - 80 * r + 20 * std::sin(x / 37.0) + noise(rng), 0.0, 255.0));
      p[2] = static_cast<uint8_t>(std::clamp(110 - 60 * r + 20 * std::cos(y / 23.0) + noise(rng), 0.0, 255.0));
    }
  }
  return img;
}

const RgbImage& photo12mp() {
  static const RgbImage img = photo_like(4000, 3000);
  return img;
}

const std::vector<uint8_t>& jpeg12mp() {
  static const std::vector<uint8_t> bytes = [] {
    std::vector<uint8_t> out;
    const RgbImage& img = photo12mp();
    stbi_write_jpg_to_func(
        [](void* ctx, void* data, int size) {
          auto* v = static_cast<std::vector<uint8_t>*>(ctx);
          v->insert(v->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
        },
        &out, img.width, img.height, 3, img.pixels.data(), 90);
    return out;
  }();
  return bytes;
}

void BM_DecodeJpeg12MP(benchmark::State& state) {
  const auto& bytes = jpeg12mp();
  for (auto _ : state) benchmark::DoNotOptimize(decode_image(bytes.data(), bytes.size()).value().image.pixels.data());
  state.SetLabel(std::to_string(bytes.size() / 1024) + " KiB JPEG");
}
BENCHMARK(BM_DecodeJpeg12MP)->Unit(benchmark::kMillisecond);

void BM_Resize12MPTo224(benchmark::State& state) {
  const RgbImage& img = photo12mp();
  const auto filter = static_cast<ResampleFilter>(state.range(0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(resample(img, {0, 0, 4000, 3000}, 224, 224, filter).value().pixels.data());
  }
  state.SetLabel(filter == ResampleFilter::kTriangle ? "triangle" : filter == ResampleFilter::kBox ? "box" : "cubic");
}
BENCHMARK(BM_Resize12MPTo224)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_ModelTensor12MP(benchmark::State& state) {
  const RgbImage& img = photo12mp();
  PreprocessOptions o;
  o.policy = static_cast<ResizePolicy>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(make_model_tensor(img, o).value().data.data());
  state.SetLabel(state.range(0) == 0 ? "stretch" : state.range(0) == 1 ? "center-crop" : "letterbox");
}
BENCHMARK(BM_ModelTensor12MP)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_Normalise224(benchmark::State& state) {
  const RgbImage img = photo_like(224, 224);
  PreprocessOptions o;
  o.policy = ResizePolicy::kStretch;
  o.layout = state.range(0) ? TensorLayout::kNHWC : TensorLayout::kNCHW;
  for (auto _ : state) benchmark::DoNotOptimize(make_model_tensor(img, o).value().data.data());
  state.SetLabel(state.range(0) ? "NHWC" : "NCHW");
}
BENCHMARK(BM_Normalise224)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_DisplayCopy12MP(benchmark::State& state) {
  const RgbImage& img = photo12mp();
  for (auto _ : state) benchmark::DoNotOptimize(make_display_image(img, 1024).value().pixels.data());
}
BENCHMARK(BM_DisplayCopy12MP)->Unit(benchmark::kMillisecond);

// The photo gate's quality measures, as prepareImage runs them: on the 1024 x 768 display copy of a 12 MP photo,
// over the centre square the model sees (the only cost the gate adds before inference).
void BM_PhotoQualityOnDisplayCopy(benchmark::State& state) {
  static const RgbaImage display = make_display_image(photo12mp(), 1024).value();
  const Rect centre{128, 0, 896, 768};
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        measure_photo_quality(display.pixels.data(), display.width, display.height, 4, centre, 3000, 3000)
            .value()
            .sharpness);
  }
}
BENCHMARK(BM_PhotoQualityOnDisplayCopy)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace dermcam
BENCHMARK_MAIN();

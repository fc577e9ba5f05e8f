// The CAM pipeline: golden maps from pytorch-grad-cam's code path (scripts/fixtures/make-cam-references.py), and
// properties every method must keep.
#include "cam.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "npy.h"

namespace dermcam {
namespace {

using test::NpyArray;
using test::read_cam_fixture;

constexpr int kOutW = 40;
constexpr int kOutH = 32;

struct Fixture {
  NpyArray a = read_cam_fixture("a.npy");  // (1, C, h, w)
  NpyArray g = read_cam_fixture("g.npy");  // (2, C, h, w): two classes
  NpyArray a2 = read_cam_fixture("a2.npy");
  NpyArray g2 = read_cam_fixture("g2.npy");
  int c() const { return static_cast<int>(a.shape[1]); }
  int h() const { return static_cast<int>(a.shape[2]); }
  int w() const { return static_cast<int>(a.shape[3]); }
  size_t class_stride() const { return static_cast<size_t>(c()) * h() * w(); }
  LayerInput layer(int cls) const {
    return {a.data.data(), g.data.data() + cls * class_stride(), c(), h(), w(), TensorLayout::kNCHW};
  }
  LayerInput layer2(int cls) const {
    const int c2 = static_cast<int>(a2.shape[1]), h2 = static_cast<int>(a2.shape[2]),
              w2 = static_cast<int>(a2.shape[3]);
    return {a2.data.data(), g2.data.data() + cls * static_cast<size_t>(c2) * h2 * w2, c2, h2, w2, TensorLayout::kNCHW};
  }
};

// Score-CAM and Ablation-CAM weight channels by values from their own model runs (LayerInput::channel_values).
// The golden references (make-cam-references.py) take each channel's mean of the fixture's gradients as those
// values; every layer of `runs` gets them here, kept alive by the returned storage.
std::vector<CamRun> with_channel_values(std::vector<CamRun> runs, std::vector<std::vector<float>>& storage) {
  for (CamRun& r : runs) {
    for (LayerInput& layer : r.layers) {
      if (layer.gradients == nullptr || layer.channel_values != nullptr) continue;
      const int z = layer.height * layer.width;
      std::vector<float>& values = storage.emplace_back(layer.channels);
      for (int k = 0; k < layer.channels; ++k) {
        double sum = 0;
        for (int i = 0; i < z; ++i) {
          sum += layer.gradients[layer.layout == TensorLayout::kNCHW ? k * z + i : i * layer.channels + k];
        }
        values[k] = static_cast<float>(sum / z);
      }
      layer.channel_values = values.data();
    }
  }
  return runs;
}

CamResult run(const std::vector<CamRun>& given, const std::string& method, bool eigen = false, int w = kOutW,
              int h = kOutH) {
  std::vector<std::vector<float>> storage;
  storage.reserve(64);
  const std::vector<CamRun> runs = with_channel_values(given, storage);
  CamOptions options;
  options.method = method;
  options.eigen_smooth = eigen;
  options.output_width = w;
  options.output_height = h;
  auto result = compute_cam(runs, options);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? std::move(result).value() : CamResult{};
}

double max_abs_diff(const std::vector<float>& got, const std::vector<float>& want) {
  EXPECT_EQ(got.size(), want.size());
  double worst = 0;
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i)
    worst = std::max(worst, std::fabs(double(got[i]) - want[i]));
  return worst;
}

// pytorch-grad-cam works in float32 (and LAPACK's SVD for the Eigen variants); dermcam in double.
constexpr double kGoldenTolerance = 2e-5;

TEST(CamGoldenTest, EveryMethodMatchesPytorchGradCam) {
  const Fixture f;
  for (const CamMethodInfo& method : cam_method_registry()) {
    for (bool eigen : {false, true}) {
      for (int cls : {0, 1}) {
        const std::string name =
            std::string("ref_") + method.id + (eigen ? "_eigen_" : "_plain_") + std::to_string(cls) + ".npy";
        const NpyArray want = read_cam_fixture(name);
        const CamResult got = run({{{f.layer(cls)}, false}}, method.id, eigen);
        EXPECT_EQ(got.status, MapStatus::kOk) << name;
        EXPECT_LT(max_abs_diff(got.map, want.data), kGoldenTolerance) << name;
      }
    }
  }
}

TEST(CamGoldenTest, TwoLayersAreFusedAsPytorchGradCamDoes) {
  const Fixture f;
  const CamResult got = run({{{f.layer(0), f.layer2(0)}, false}}, "gradcam");
  EXPECT_LT(max_abs_diff(got.map, read_cam_fixture("ref_fused_gradcam_0.npy").data), kGoldenTolerance);
  ASSERT_EQ(got.layers.size(), 2u);
  EXPECT_EQ(got.layers[1].width, f.layer2(0).width);
}

TEST(CamGoldenTest, AugSmoothUnflipsAndAverages) {
  const Fixture f;
  const NpyArray a_flip = read_cam_fixture("a_flip.npy");
  const NpyArray g_flip = read_cam_fixture("g_flip.npy");
  const LayerInput flipped{a_flip.data.data(), g_flip.data.data(), f.c(), f.h(), f.w(), TensorLayout::kNCHW};
  const CamResult got = run({{{f.layer(0)}, false}, {{flipped}, true}}, "gradcam");
  EXPECT_LT(max_abs_diff(got.map, read_cam_fixture("ref_aug_gradcam_0.npy").data), kGoldenTolerance);
}

// --- properties ---

std::vector<float> to_nhwc(const std::vector<float>& nchw, int c, int h, int w, size_t offset = 0) {
  std::vector<float> out(static_cast<size_t>(c) * h * w);
  for (int k = 0; k < c; ++k) {
    for (int i = 0; i < h * w; ++i)
      out[static_cast<size_t>(i) * c + k] = nchw[offset + static_cast<size_t>(k) * h * w + i];
  }
  return out;
}

TEST(CamPropertyTest, NchwEqualsNhwc) {
  const Fixture f;
  const std::vector<float> a = to_nhwc(f.a.data, f.c(), f.h(), f.w());
  const std::vector<float> g = to_nhwc(f.g.data, f.c(), f.h(), f.w(), f.class_stride());
  const LayerInput nhwc{a.data(), g.data(), f.c(), f.h(), f.w(), TensorLayout::kNHWC};
  for (const CamMethodInfo& method : cam_method_registry()) {
    const CamResult x = run({{{f.layer(1)}, false}}, method.id);
    const CamResult y = run({{{nhwc}, false}}, method.id);
    EXPECT_EQ(x.map, y.map) << method.id;
    EXPECT_EQ(x.layers[0].raw, y.layers[0].raw) << method.id;
  }
}

// A global-average-pooling head's gradients are one value per channel: passed as they are, every method (with
// and without eigen_smooth, NCHW and NHWC) draws bit for bit the map it draws from them spread over the positions.
TEST(CamPropertyTest, PerChannelGradientsEqualTheirSpread) {
  const Fixture f;
  const int z = f.h() * f.w();
  std::vector<float> per_channel(f.c());
  for (int k = 0; k < f.c(); ++k) per_channel[k] = f.g.data[static_cast<size_t>(k) * z + k % z];
  std::vector<float> spread(static_cast<size_t>(f.c()) * z);
  for (int k = 0; k < f.c(); ++k) std::fill_n(spread.begin() + static_cast<ptrdiff_t>(k) * z, z, per_channel[k]);
  const std::vector<float> spread_nhwc = to_nhwc(spread, f.c(), f.h(), f.w());
  const std::vector<float> a_nhwc = to_nhwc(f.a.data, f.c(), f.h(), f.w());
  for (const TensorLayout layout : {TensorLayout::kNCHW, TensorLayout::kNHWC}) {
    const bool nchw = layout == TensorLayout::kNCHW;
    const float* a = nchw ? f.a.data.data() : a_nhwc.data();
    // Score-CAM's and Ablation-CAM's values per channel are the same for both (the helper would read them from
    // the gradients).
    const LayerInput full{
        a, nchw ? spread.data() : spread_nhwc.data(), f.c(), f.h(), f.w(), layout, per_channel.data()};
    LayerInput compact{a, per_channel.data(), f.c(), f.h(), f.w(), layout, per_channel.data()};
    compact.gradients_per_channel = true;
    for (const CamMethodInfo& method : cam_method_registry()) {
      for (const bool eigen : {false, true}) {
        const CamResult x = run({{{full}, false}}, method.id, eigen);
        const CamResult y = run({{{compact}, false}}, method.id, eigen);
        EXPECT_EQ(x.map, y.map) << method.id << (eigen ? " eigen_smooth" : "") << (nchw ? " NCHW" : " NHWC");
        EXPECT_EQ(x.layers[0].raw, y.layers[0].raw) << method.id;
      }
    }
  }
}

// The channel-weight methods return the sum of their rows as one row when the pipeline only sums them: the same
// numbers, added in the same order, as the rows summed afterwards.
TEST(CamPropertyTest, SummedRowsEqualTheRowsSummed) {
  const Fixture f;
  const int z = f.h() * f.w();
  std::vector<float> values(f.c());
  for (int k = 0; k < f.c(); ++k) values[k] = f.g.data[static_cast<size_t>(k) * z];
  for (const CamMethodInfo& method : cam_method_registry()) {
    cam::LayerView view{f.a.data.data(), f.g.data.data(), f.c(), z, values.data()};
    std::vector<double> rows;
    method.contributions(view, rows);
    std::vector<double> summed(z, 0.0);
    for (size_t r = 0; r < rows.size() / z; ++r) {
      for (int i = 0; i < z; ++i) summed[i] += rows[r * z + i];
    }
    view.sum_only = true;
    std::vector<double> one_row;
    method.contributions(view, one_row);
    if (one_row.size() == static_cast<size_t>(z)) {
      EXPECT_EQ(one_row, summed) << method.id;
    } else {
      EXPECT_EQ(one_row, rows) << method.id;  // a method that ignores sum_only returns its rows unchanged
    }
  }
}

TEST(CamPropertyTest, InvariantToPositiveScaling) {
  const Fixture f;
  std::vector<float> a = f.a.data;
  std::vector<float> g(f.g.data.begin(), f.g.data.begin() + f.class_stride());
  for (float& v : a) v *= 3.0f;
  for (float& v : g) v *= 0.25f;
  const LayerInput scaled{a.data(), g.data(), f.c(), f.h(), f.w(), TensorLayout::kNCHW};
  for (const CamMethodInfo& method : cam_method_registry()) {
    // Grad-CAM++'s alpha = g^2 / (2 g^2 + sum(A) g^3) is not homogeneous in g and A: by design, not invariant.
    if (std::string(method.id) == "gradcam++") continue;
    // KPCA-CAM's sigmoid kernel tanh(x . y / C + 1) is not homogeneous in A: by design, not invariant.
    if (std::string(method.id) == "kpca_cam") continue;
    // Score-CAM's softmax of the channel scores is not homogeneous in them either.
    if (std::string(method.id) == "scorecam") continue;
    for (bool eigen : {false, true}) {
      const CamResult x = run({{{f.layer(0)}, false}}, method.id, eigen);
      const CamResult y = run({{{scaled}, false}}, method.id, eigen);
      EXPECT_LT(max_abs_diff(x.map, y.map), 1e-5) << method.id << (eigen ? " eigen" : "");
    }
  }
}

TEST(CamPropertyTest, FlippedRunIsUnflipped) {
  const Fixture f;
  const int c = f.c(), h = f.h(), w = f.w();
  std::vector<float> a(f.a.data.size()), g(f.class_stride());
  for (int k = 0; k < c; ++k) {
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const size_t src = (static_cast<size_t>(k) * h + y) * w + x;
        const size_t dst = (static_cast<size_t>(k) * h + y) * w + (w - 1 - x);
        a[dst] = f.a.data[src];
        g[dst] = f.g.data[src];
      }
    }
  }
  const LayerInput mirrored{a.data(), g.data(), c, h, w, TensorLayout::kNCHW};
  for (const CamMethodInfo& method : cam_method_registry()) {
    const CamResult plain = run({{{f.layer(0)}, false}}, method.id);
    const CamResult unflipped = run({{{mirrored}, true}}, method.id);
    EXPECT_LT(max_abs_diff(plain.map, unflipped.map), 1e-6) << method.id;
    const CamResult both = run({{{f.layer(0)}, false}, {{mirrored}, true}}, method.id);
    EXPECT_LT(max_abs_diff(plain.map, both.map), 1e-6) << method.id;
  }
}

TEST(CamPropertyTest, MapsAreScaledToTheUnitInterval) {
  const Fixture f;
  for (const CamMethodInfo& method : cam_method_registry()) {
    const CamResult r = run({{{f.layer(0)}, false}}, method.id);
    const auto [lo, hi] = std::minmax_element(r.map.begin(), r.map.end());
    EXPECT_NEAR(*lo, 0.0f, 1e-6) << method.id;
    EXPECT_NEAR(*hi, 1.0f, 1e-5) << method.id;
    EXPECT_EQ(r.width, kOutW);
    EXPECT_EQ(r.height, kOutH);
  }
}

TEST(CamPropertyTest, ReluDropsNegativeEvidence) {
  const Fixture f;
  std::vector<float> g(f.g.data.begin(), f.g.data.begin() + f.class_stride());
  for (float& v : g) v = -std::fabs(v);  // every gradient says "less of this class"
  const LayerInput negative{f.a.data.data(), g.data(), f.c(), f.h(), f.w(), TensorLayout::kNCHW};
  for (const char* method : {"gradcam", "hirescam", "gradcamelementwise", "layercam", "gradcam++"}) {
    const CamResult r = run({{{negative}, false}}, method);
    EXPECT_EQ(r.status, MapStatus::kAllZero) << method;
    EXPECT_TRUE(std::all_of(r.map.begin(), r.map.end(), [](float v) { return v == 0.0f; }));
    EXPECT_LE(r.layers[0].raw_max, 0.0);
  }
  // The raw signed map keeps the magnitudes the ReLU threw away.
  const CamResult r = run({{{negative}, false}}, "gradcam");
  EXPECT_LT(r.layers[0].raw_min, 0.0);
}

TEST(CamStatusTest, ConstantMapIsReported) {
  std::vector<float> a(4 * 9, 1.0f), g(4 * 9, 0.5f);
  const CamResult r = run({{{LayerInput{a.data(), g.data(), 4, 3, 3, TensorLayout::kNCHW}}, false}}, "gradcam");
  EXPECT_EQ(r.status, MapStatus::kConstant);
  EXPECT_STREQ(map_status_name(r.status), "constant");
  EXPECT_NE(std::string(map_status_message(r.status)).find("flat"), std::string::npos);
  EXPECT_TRUE(std::all_of(r.map.begin(), r.map.end(), [](float v) { return v == 0.0f; }));
}

TEST(CamStatusTest, ZeroActivationsAreReported) {
  std::vector<float> a(4 * 9, 0.0f), g(4 * 9, 0.5f);
  for (const char* method : {"eigencam", "gradcam", "layercam"}) {
    const CamResult r = run({{{LayerInput{a.data(), g.data(), 4, 3, 3, TensorLayout::kNCHW}}, false}}, method);
    EXPECT_EQ(r.status, MapStatus::kAllZero) << method;  // nothing to show, not "flat" and not "invalid"
    EXPECT_TRUE(std::all_of(r.map.begin(), r.map.end(), [](float v) { return v == 0.0f; })) << method;
  }
}

TEST(CamStatusTest, NonFiniteInputsAreReportedNotDrawn) {
  const Fixture f;
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    std::vector<float> g(f.g.data.begin(), f.g.data.begin() + f.class_stride());
    g[17] = bad;
    const LayerInput layer{f.a.data.data(), g.data(), f.c(), f.h(), f.w(), TensorLayout::kNCHW};
    for (const CamMethodInfo& method : cam_method_registry()) {
      const CamResult r = run({{{layer}, false}}, method.id);
      if (!method.needs_gradients) continue;  // Eigen-CAM never reads the gradients
      EXPECT_EQ(r.status, MapStatus::kNonFinite) << method.id;
      EXPECT_TRUE(std::all_of(r.map.begin(), r.map.end(), [](float v) { return v == 0.0f; }));
    }
  }
  std::vector<float> a = f.a.data;
  a[0] = std::numeric_limits<float>::quiet_NaN();
  const LayerInput layer{a.data(), f.g.data.data(), f.c(), f.h(), f.w(), TensorLayout::kNCHW};
  EXPECT_EQ(run({{{layer}, false}}, "eigencam").status, MapStatus::kNonFinite);
}

TEST(CamValidationTest, BadShapesAndMissingInputsAreErrors) {
  const Fixture f;
  CamOptions options;
  EXPECT_EQ(compute_cam({}, options).error().code, ErrorCode::kInvalidArgument);
  LayerInput no_gradients = f.layer(0);
  no_gradients.gradients = nullptr;
  const Error e = compute_cam({{{no_gradients}, false}}, options).error();
  EXPECT_NE(e.message.find("needs gradients"), std::string::npos);
  options.method = "eigencam";
  EXPECT_TRUE(compute_cam({{{no_gradients}, false}}, options).ok());
  // Score-CAM and Ablation-CAM read a value per channel, never the gradients.
  for (const char* channel_valued : {"scorecam", "ablationcam"}) {
    options.method = channel_valued;
    const Error missing = compute_cam({{{f.layer(0)}, false}}, options).error();
    EXPECT_NE(missing.message.find("needs a value per channel"), std::string::npos) << channel_valued;
    std::vector<float> values(f.c(), 1.0f);
    LayerInput valued = no_gradients;
    valued.channel_values = values.data();
    EXPECT_TRUE(compute_cam({{{valued}, false}}, options).ok()) << channel_valued;
  }
  options.method = "eigencam";
  LayerInput zero = f.layer(0);
  zero.height = 0;
  EXPECT_FALSE(compute_cam({{{zero}, false}}, options).ok());
  LayerInput other = f.layer(0);
  other.width -= 1;
  EXPECT_NE(compute_cam({{{f.layer(0)}, false}, {{other}, true}}, options).error().message.find("different shapes"),
            std::string::npos);
  options.output_width = 0;
  EXPECT_FALSE(compute_cam({{{f.layer(0)}, false}}, options).ok());
}

}  // namespace
}  // namespace dermcam

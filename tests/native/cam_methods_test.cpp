// Each method's raw map against its formula, computed here independently in double precision; plus the
// registry. (Golden maps from pytorch-grad-cam's code path are in cam_test.cpp.)
#include "cam_methods.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <set>
#include <string>

#include "cam.h"

namespace dermcam {
namespace {

constexpr int kC = 6;
constexpr int kH = 3;
constexpr int kW = 4;
constexpr int kZ = kH * kW;

struct Tensors {
  std::vector<float> a = std::vector<float>(kC * kZ);
  std::vector<float> g = std::vector<float>(kC * kZ);
  double A(int k, int i) const { return a[k * kZ + i]; }
  double G(int k, int i) const { return g[k * kZ + i]; }
};

Tensors random_tensors(unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Tensors t;
  for (float& v : t.a) v = std::max(0.0f, normal(rng) + 0.3f);
  for (float& v : t.g) v = 0.1f * normal(rng);
  t.g[5] = 0.0f;  // exercise Grad-CAM++'s g == 0 branch
  return t;
}

std::vector<float> raw_map(const Tensors& t, const std::string& method) {
  const std::vector<CamRun> runs = {{{LayerInput{t.a.data(), t.g.data(), kC, kH, kW, TensorLayout::kNCHW}}, false}};
  CamOptions options;
  options.method = method;
  auto result = compute_cam(runs, options);
  EXPECT_TRUE(result.ok());
  return result.value().layers.at(0).raw;
}

using Formula = std::function<double(const Tensors&, int i)>;

double channel_weighted(const Tensors& t, int i, const std::function<double(const Tensors&, int k)>& weight) {
  double sum = 0;
  for (int k = 0; k < kC; ++k) sum += weight(t, k) * t.A(k, i);
  return sum;
}

double sum_a(const Tensors& t, int k) {
  double s = 0;
  for (int j = 0; j < kZ; ++j) s += t.A(k, j);
  return s;
}

const std::pair<const char*, Formula> kFormulas[] = {
    {"gradcam",
     [](const Tensors& t, int i) {
       return channel_weighted(t, i, [](const Tensors& t, int k) {
         double s = 0;
         for (int j = 0; j < kZ; ++j) s += t.G(k, j);
         return s / kZ;
       });
     }},
    {"hirescam",
     [](const Tensors& t, int i) {
       double s = 0;
       for (int k = 0; k < kC; ++k) s += t.G(k, i) * t.A(k, i);
       return s;
     }},
    {"gradcamelementwise",
     [](const Tensors& t, int i) {
       double s = 0;
       for (int k = 0; k < kC; ++k) s += std::max(0.0, t.G(k, i) * t.A(k, i));
       return s;
     }},
    {"gradcam++",
     [](const Tensors& t, int i) {
       return channel_weighted(t, i, [](const Tensors& t, int k) {
         double w = 0;
         for (int j = 0; j < kZ; ++j) {
           const double g = t.G(k, j);
           if (g == 0) continue;
           w += std::max(g, 0.0) * (g * g) / (2 * g * g + sum_a(t, k) * g * g * g + 1e-6);
         }
         return w;
       });
     }},
    {"xgradcam",
     [](const Tensors& t, int i) {
       return channel_weighted(t, i, [](const Tensors& t, int k) {
         double w = 0;
         for (int j = 0; j < kZ; ++j) w += t.G(k, j) * t.A(k, j);
         return w / (sum_a(t, k) + 1e-7);
       });
     }},
    {"layercam",
     [](const Tensors& t, int i) {
       double s = 0;
       for (int k = 0; k < kC; ++k) s += std::max(0.0, t.G(k, i)) * t.A(k, i);
       return s;
     }},
    {"fem",  // the share of the channel's positions above mean + 2 std (population), times the activation
     [](const Tensors& t, int i) {
       return channel_weighted(t, i, [](const Tensors& t, int k) {
         const double mean = sum_a(t, k) / kZ;
         double variance = 0;
         for (int j = 0; j < kZ; ++j) variance += (t.A(k, j) - mean) * (t.A(k, j) - mean) / kZ;
         int above = 0;
         for (int j = 0; j < kZ; ++j) above += t.A(k, j) > mean + 2 * std::sqrt(variance);
         return static_cast<double>(above) / kZ;
       });
     }},
};

TEST(CamMethodsTest, RawMapsFollowTheirPapersFormulas) {
  for (unsigned seed : {1u, 2u, 3u}) {
    const Tensors t = random_tensors(seed);
    for (const auto& [method, formula] : kFormulas) {
      const std::vector<float> raw = raw_map(t, method);
      ASSERT_EQ(raw.size(), static_cast<size_t>(kZ));
      for (int i = 0; i < kZ; ++i) {
        const double want = formula(t, i);
        EXPECT_NEAR(raw[i], want, 1e-6 * std::max(1.0, std::fabs(want)))
            << method << " position " << i << " seed " << seed;
      }
    }
  }
}

TEST(CamMethodsTest, RegistryIsCompleteAndConsistent) {
  const auto& registry = cam_method_registry();
  EXPECT_EQ(registry.size(), 14u);
  std::set<std::string> ids;
  for (const CamMethodInfo& info : registry) {
    EXPECT_TRUE(ids.insert(info.id).second) << info.id;
    EXPECT_EQ(find_cam_method(info.id), &info);
    EXPECT_NE(info.contributions, nullptr);
    EXPECT_GT(std::string(info.label).size(), 0u);
    EXPECT_GT(std::string(info.reference).size(), 0u);
  }
  EXPECT_STREQ(find_cam_method("gradcam++")->label, "Grad-CAM++");
  EXPECT_EQ(find_cam_method("magic"), nullptr);
  CamOptions unknown;
  unknown.method = "magic";
  const Tensors t = random_tensors(1);
  const auto refused =
      compute_cam({{{LayerInput{t.a.data(), t.g.data(), kC, kH, kW, TensorLayout::kNCHW}}, false}}, unknown);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(find_cam_method("eigencam")->needs_gradients);
  EXPECT_EQ(find_cam_method("eigengradcam")->projection, Projection::kAlways);
  EXPECT_EQ(find_cam_method("fem")->projection, Projection::kNever);  // as pytorch-grad-cam: eigen_smooth ignored
  EXPECT_EQ(find_cam_method("kpca_cam")->projection, Projection::kNever);
  EXPECT_EQ(find_cam_method("GradCAM"), nullptr);
  EXPECT_EQ(find_cam_method(""), nullptr);
}

// The closed form from the reference notes: global average pooling then one linear layer means
// dy_c/dA_kij = W_ck / Z everywhere, so Grad-CAM, HiResCAM and XGrad-CAM all reduce to CAM
// (sum_k W_ck A_k) up to a positive factor, which the min-max scaling removes.
TEST(CamMethodsTest, GapLinearHeadReducesToClassActivationMapping) {
  Tensors t = random_tensors(7);
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<double> head(kC);
  for (double& w : head) w = uniform(rng);
  for (int k = 0; k < kC; ++k) {
    for (int i = 0; i < kZ; ++i) t.g[k * kZ + i] = static_cast<float>(head[k] / kZ);
  }
  std::vector<double> cam(kZ, 0.0);
  for (int i = 0; i < kZ; ++i) {
    for (int k = 0; k < kC; ++k) cam[i] += head[k] * t.A(k, i);
  }
  const std::vector<CamRun> runs = {{{LayerInput{t.a.data(), t.g.data(), kC, kH, kW, TensorLayout::kNCHW}}, false}};
  std::vector<float> reference;
  for (const char* method : {"gradcam", "hirescam", "xgradcam"}) {
    CamOptions options;
    options.method = method;
    options.output_width = kW;
    options.output_height = kH;
    const CamResult result = compute_cam(runs, options).value();
    // The raw map is proportional to CAM.
    const std::vector<float>& raw = result.layers[0].raw;
    const double ratio = raw[0] / cam[0];
    EXPECT_GT(ratio, 0.0);
    for (int i = 0; i < kZ; ++i) EXPECT_NEAR(raw[i], ratio * cam[i], 1e-6) << method;
    if (reference.empty()) {
      reference = result.map;
    } else {
      for (int i = 0; i < kZ; ++i) EXPECT_NEAR(result.map[i], reference[i], 1e-5) << method;
    }
  }
}

// KPCA-CAM's kernel matrix is positions x positions: a larger layer is refused with a reason, not computed slowly.
TEST(CamMethodsTest, KernelPcaRefusesLayersBeyondItsLimit) {
  const int h = 33;
  const int w = 32;
  std::vector<float> a(static_cast<size_t>(2) * h * w, 1.0f);
  CamOptions options;
  options.method = "kpca_cam";
  const auto refused = compute_cam({{{LayerInput{a.data(), nullptr, 2, h, w, TensorLayout::kNCHW}}, false}}, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("1024 positions"), std::string::npos) << refused.error().message;
  a.resize(static_cast<size_t>(2) * 32 * 32);
  EXPECT_TRUE(compute_cam({{{LayerInput{a.data(), nullptr, 2, 32, 32, TensorLayout::kNCHW}}, false}}, options).ok());
}

}  // namespace
}  // namespace dermcam

#include "feature_factorization.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace dermcam {
namespace {

// A layer made of three known parts: each present in its own region of an 8 x 8 grid (with soft overlaps) and
// holding its own channel pattern, plus a per-channel offset. Deep Feature Factorization must find the three
// regions (each map correlates with one part's region) and their channel patterns (embedding minus offset).
struct KnownLayer {
  int channels = 12, positions = 64, parts = 3;
  std::vector<float> activations;
  std::vector<std::vector<double>> regions;   // parts x positions
  std::vector<std::vector<double>> patterns;  // parts x channels
};

KnownLayer known_layer() {
  KnownLayer layer;
  layer.regions.assign(layer.parts, std::vector<double>(layer.positions));
  layer.patterns.assign(layer.parts, std::vector<double>(layer.channels, 0.0));
  const double centres[3][2] = {{1.5, 1.5}, {6.0, 2.0}, {3.5, 6.0}};
  for (int p = 0; p < layer.parts; ++p) {
    for (int i = 0; i < layer.positions; ++i) {
      const double dx = i % 8 - centres[p][0], dy = i / 8 - centres[p][1];
      layer.regions[p][i] = std::exp(-(dx * dx + dy * dy) / 3.0);
    }
    for (int c = 0; c < layer.channels; ++c) layer.patterns[p][c] = (c % 3 == p) ? 1.0 + 0.25 * c : 0.05;
  }
  layer.activations.resize(static_cast<size_t>(layer.channels) * layer.positions);
  for (int c = 0; c < layer.channels; ++c) {
    for (int i = 0; i < layer.positions; ++i) {
      double v = -0.3 + 0.02 * c;  // the offset the factorisation removes
      for (int p = 0; p < layer.parts; ++p) v += layer.patterns[p][c] * layer.regions[p][i];
      layer.activations[static_cast<size_t>(c) * layer.positions + i] = static_cast<float>(v);
    }
  }
  return layer;
}

double correlation(const double* a, const double* b, int n) {
  double ma = 0, mb = 0;
  for (int i = 0; i < n; ++i) ma += a[i] / n, mb += b[i] / n;
  double ab = 0, aa = 0, bb = 0;
  for (int i = 0; i < n; ++i)
    ab += (a[i] - ma) * (b[i] - mb), aa += (a[i] - ma) * (a[i] - ma), bb += (b[i] - mb) * (b[i] - mb);
  return ab / std::sqrt(aa * bb);
}

TEST(FeatureFactorization, FindsTheKnownPartsTheirRegionsAndPatterns) {
  const KnownLayer layer = known_layer();
  auto result = factorize_features(layer.activations, layer.channels, layer.positions, layer.parts);
  ASSERT_TRUE(result.ok()) << result.error().message;
  const FeatureFactorization& f = result.value();
  EXPECT_LT(f.relative_error, 1e-3);
  std::vector<bool> matched(layer.parts, false);
  for (int j = 0; j < f.concepts; ++j) {
    const double* map = &f.maps[static_cast<size_t>(j) * layer.positions];
    EXPECT_NEAR(*std::max_element(map, map + layer.positions), 1.0, 1e-12);
    int best = -1;
    double best_r = -1;
    for (int p = 0; p < layer.parts; ++p) {
      const double r = correlation(map, layer.regions[p].data(), layer.positions);
      if (r > best_r) best_r = r, best = p;
    }
    EXPECT_GT(best_r, 0.999) << "concept " << j;
    EXPECT_FALSE(matched[best]) << "two concepts found the same part";
    matched[best] = true;
    // The embedding minus the offset is the part's channel pattern, up to the map's scale.
    std::vector<double> pattern(layer.channels);
    for (int c = 0; c < layer.channels; ++c) {
      pattern[c] = f.embeddings[static_cast<size_t>(j) * layer.channels + c] - (-0.3 + 0.02 * c) + 0.0;
    }
    EXPECT_GT(correlation(pattern.data(), layer.patterns[best].data(), layer.channels), 0.99) << "concept " << j;
  }
}

TEST(FeatureFactorization, IsDeterministicAndOrdersPartsByMass) {
  const KnownLayer layer = known_layer();
  auto a = factorize_features(layer.activations, layer.channels, layer.positions, 3);
  auto b = factorize_features(layer.activations, layer.channels, layer.positions, 3);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.value().maps, b.value().maps);
  EXPECT_EQ(a.value().embeddings, b.value().embeddings);
  double previous = INFINITY;
  for (int j = 0; j < 3; ++j) {
    double mass = 0;
    for (int i = 0; i < layer.positions; ++i) mass += a.value().maps[static_cast<size_t>(j) * layer.positions + i];
    EXPECT_LE(mass, previous);
    previous = mass;
  }
  // One part more than the layer holds still converges, to an error no worse than three parts give.
  auto four = factorize_features(layer.activations, layer.channels, layer.positions, 4);
  ASSERT_TRUE(four.ok());
  EXPECT_LE(four.value().relative_error, a.value().relative_error + 1e-6);
}

TEST(FeatureFactorization, RefusesBadCountsAndSizes) {
  const std::vector<float> flat(12, 1.0f);
  EXPECT_FALSE(factorize_features(flat, 3, 4, 0).ok());
  EXPECT_FALSE(factorize_features(flat, 3, 4, 4).ok());   // more than the channels
  EXPECT_FALSE(factorize_features(flat, 3, 5, 1).ok());   // sizes do not match
  EXPECT_FALSE(factorize_features(flat, 12, 1, 2).ok());  // more than the positions
  // A constant layer: nothing to factorise, maps of zeros or a flat part, never NaN.
  auto constant = factorize_features(flat, 3, 4, 2);
  ASSERT_TRUE(constant.ok());
  for (double v : constant.value().maps) EXPECT_TRUE(std::isfinite(v));
  for (double v : constant.value().embeddings) EXPECT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace dermcam

#include "principal_component.h"

#include <gtest/gtest.h>

#include <cmath>

namespace dermcam {
namespace {

// M[k][i] = s1 a_k b_i + s2 c_k d_i with a ⟂ c unit vectors over channels and b ⟂ d zero-mean unit
// vectors over positions: centring changes nothing, the SVD is known, projection = s1 * b (sign-fixed).
std::vector<double> known_matrix(int channels, int positions, double s1, double s2, std::vector<double>* b_out) {
  std::vector<double> a(channels, 0.0), c(channels, 0.0), b(positions), d(positions);
  a[0] = 1.0;
  c[1] = 1.0;
  for (int i = 0; i < positions; ++i) {
    b[i] = std::cos(2.0 * M_PI * i / positions);
    d[i] = std::sin(2.0 * M_PI * i / positions);
  }
  auto normalise = [](std::vector<double>& v) {
    double n = 0;
    for (double x : v) n += x * x;
    for (double& x : v) x /= std::sqrt(n);
  };
  normalise(b);
  normalise(d);
  std::vector<double> m(static_cast<size_t>(channels) * positions);
  for (int k = 0; k < channels; ++k) {
    for (int i = 0; i < positions; ++i) m[static_cast<size_t>(k) * positions + i] = s1 * a[k] * b[i] + s2 * c[k] * d[i];
  }
  *b_out = b;
  return m;
}

void expect_projection(int channels, int positions) {
  std::vector<double> b;
  const std::vector<double> m = known_matrix(channels, positions, 5.0, 2.0, &b);
  const std::vector<double> p = first_principal_component_projection(m, channels, positions);
  ASSERT_EQ(p.size(), static_cast<size_t>(positions));
  // Sign convention: the largest-magnitude value is positive. b's largest magnitude is b[0] > 0.
  for (int i = 0; i < positions; ++i)
    EXPECT_NEAR(p[i], 5.0 * b[i], 1e-9) << channels << "x" << positions << " at " << i;
}

TEST(PrincipalComponentTest, FewerPositionsThanChannelsUsesThePositionGram) { expect_projection(16, 7); }

TEST(PrincipalComponentTest, MorePositionsThanChannelsUsesTheChannelCovariance) { expect_projection(3, 13); }

TEST(PrincipalComponentTest, CentresEachChannel) {
  std::vector<double> b;
  std::vector<double> m = known_matrix(4, 11, 3.0, 1.0, &b);
  for (int k = 0; k < 4; ++k) {
    for (int i = 0; i < 11; ++i) m[k * 11 + i] += 7.0 * (k + 1);  // per-channel offsets vanish after centring
  }
  const std::vector<double> p = first_principal_component_projection(m, 4, 11);
  for (int i = 0; i < 11; ++i) EXPECT_NEAR(p[i], 3.0 * b[i], 1e-9);
}

TEST(PrincipalComponentTest, ZeroAndNonFiniteInputs) {
  std::vector<double> zeros(12, 0.0);
  for (double v : first_principal_component_projection(zeros, 3, 4)) EXPECT_EQ(v, 0.0);
  std::vector<double> b;
  std::vector<double> m = known_matrix(3, 12, 5.0, 2.0, &b);
  m[5] = NAN;  // treated as 0, never propagated
  for (double v : first_principal_component_projection(m, 3, 12)) EXPECT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace dermcam

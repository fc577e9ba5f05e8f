#include "principal_component.h"

#include <cmath>
#include <cstddef>

namespace dermcam {
namespace {

constexpr int kMaxIterations = 5000;
constexpr double kTolerance = 1e-12;

}  // namespace

std::vector<double> top_eigenvector(const std::vector<double>& gram, int n, double* eigenvalue) {
  int start = 0;
  for (int i = 1; i < n; ++i) {
    if (gram[static_cast<size_t>(i) * n + i] > gram[static_cast<size_t>(start) * n + start]) start = i;
  }
  std::vector<double> v(gram.begin() + static_cast<ptrdiff_t>(start) * n,
                        gram.begin() + static_cast<ptrdiff_t>(start + 1) * n);
  std::vector<double> next(n);
  auto normalise = [n](std::vector<double>& x) {
    double norm = 0.0;
    for (int i = 0; i < n; ++i) norm += x[i] * x[i];
    norm = std::sqrt(norm);
    if (norm > 0.0) {
      for (int i = 0; i < n; ++i) x[i] /= norm;
    }
    return norm;
  };
  *eigenvalue = 0.0;
  if (normalise(v) == 0.0) return v;
  for (int iteration = 0; iteration < kMaxIterations; ++iteration) {
    for (int r = 0; r < n; ++r) {
      const double* row = &gram[static_cast<size_t>(r) * n];
      double sum = 0.0;
      for (int c = 0; c < n; ++c) sum += row[c] * v[c];
      next[r] = sum;
    }
    *eigenvalue = normalise(next);
    double change = 0.0;
    for (int i = 0; i < n; ++i) change += (next[i] - v[i]) * (next[i] - v[i]);
    v.swap(next);
    if (*eigenvalue == 0.0 || change < kTolerance * kTolerance) break;
  }
  return v;
}

std::vector<double> first_principal_component_projection(const std::vector<double>& matrix, int channels,
                                                         int positions) {
  const size_t z = static_cast<size_t>(positions);
  const size_t c = static_cast<size_t>(channels);
  // X^T: channel-major centred copy (x[k][i]), non-finite values as 0.
  std::vector<double> x(c * z);
  for (size_t k = 0; k < c; ++k) {
    double mean = 0.0;
    for (size_t i = 0; i < z; ++i) {
      const double value = matrix[k * z + i];
      x[k * z + i] = std::isfinite(value) ? value : 0.0;
      mean += x[k * z + i];
    }
    mean /= static_cast<double>(z);
    for (size_t i = 0; i < z; ++i) x[k * z + i] -= mean;
  }

  std::vector<double> projection(z, 0.0);
  double eigenvalue = 0.0;
  if (z <= c) {
    // Positions Gram matrix G = X X^T (z x z); projection = sqrt(lambda1) u1.
    std::vector<double> gram(z * z, 0.0);
    for (size_t k = 0; k < c; ++k) {
      const double* row = &x[k * z];
      for (size_t i = 0; i < z; ++i) {
        const double xi = row[i];
        double* g = &gram[i * z];
        for (size_t j = i; j < z; ++j) g[j] += xi * row[j];
      }
    }
    for (size_t i = 0; i < z; ++i) {
      for (size_t j = 0; j < i; ++j) gram[i * z + j] = gram[j * z + i];
    }
    const std::vector<double> u = top_eigenvector(gram, positions, &eigenvalue);
    const double sigma = std::sqrt(eigenvalue);
    for (size_t i = 0; i < z; ++i) projection[i] = sigma * u[i];
  } else {
    // Channel covariance C = X^T X (c x c); projection = X v1.
    std::vector<double> cov(c * c, 0.0);
    for (size_t a = 0; a < c; ++a) {
      for (size_t b = a; b < c; ++b) {
        double sum = 0.0;
        for (size_t i = 0; i < z; ++i) sum += x[a * z + i] * x[b * z + i];
        cov[a * c + b] = sum;
        cov[b * c + a] = sum;
      }
    }
    const std::vector<double> v = top_eigenvector(cov, channels, &eigenvalue);
    for (size_t k = 0; k < c; ++k) {
      for (size_t i = 0; i < z; ++i) projection[i] += x[k * z + i] * v[k];
    }
  }

  size_t strongest = 0;
  for (size_t i = 1; i < z; ++i) {
    if (std::fabs(projection[i]) > std::fabs(projection[strongest])) strongest = i;
  }
  if (projection[strongest] < 0.0) {
    for (double& p : projection) p = -p;
  }
  return projection;
}

}  // namespace dermcam

// KPCA-CAM. Karmani et al., "KPCA-CAM: Visual Explainability of Deep Computer Vision Models using Kernel PCA",
// MMSP 2024: the first kernel principal component of the activations, as pytorch-grad-cam computes it with
// scikit-learn's KernelPCA(n_components=1, kernel='sigmoid', gamma=None): positions are samples of `channels`
// features, centred per channel; K_ij = tanh(gamma x_i . x_j + 1) with gamma = 1 / channels; K is centred
// (K - row means - column means + total mean); the projection is sqrt(lambda1) v1 for the largest eigenvalue,
// with the sign that makes its largest-magnitude value positive (scikit-learn's svd_flip). Gradient-free; the
// map comes out as one row (pytorch-grad-cam ignores eigen_smooth here, and so does this). The kernel matrix
// is positions x positions, hence the limit on the layer's size (32 x 32).
#include <algorithm>
#include <cmath>

#include "../principal_component.h"
#include "method.h"

namespace dermcam::cam {

void kpca_cam(const LayerView& layer, std::vector<double>& contributions) {
  const size_t z = static_cast<size_t>(layer.positions);
  const size_t c = static_cast<size_t>(layer.channels);
  std::vector<double> x(c * z);  // channel-major, centred
  for (size_t k = 0; k < c; ++k) {
    const double mean = channel_sum(layer.activations, static_cast<int>(k), layer.positions) / static_cast<double>(z);
    for (size_t i = 0; i < z; ++i) x[k * z + i] = layer.activations[k * z + i] - mean;
  }
  const double gamma = 1.0 / static_cast<double>(c);
  std::vector<double> kernel(z * z, 0.0);
  for (size_t k = 0; k < c; ++k) {
    const double* row = &x[k * z];
    for (size_t i = 0; i < z; ++i) {
      double* out = &kernel[i * z];
      for (size_t j = i; j < z; ++j) out[j] += row[i] * row[j];
    }
  }
  for (size_t i = 0; i < z; ++i) {
    for (size_t j = i; j < z; ++j) kernel[j * z + i] = kernel[i * z + j] = std::tanh(gamma * kernel[i * z + j] + 1.0);
  }
  // Centring in feature space.
  std::vector<double> row_mean(z, 0.0);
  double total = 0.0;
  for (size_t i = 0; i < z; ++i) {
    for (size_t j = 0; j < z; ++j) row_mean[i] += kernel[i * z + j];
    total += row_mean[i];
    row_mean[i] /= static_cast<double>(z);
  }
  total /= static_cast<double>(z * z);
  for (size_t i = 0; i < z; ++i) {
    for (size_t j = 0; j < z; ++j) kernel[i * z + j] += total - row_mean[i] - row_mean[j];
  }
  // The largest eigenvalue, which for a sigmoid kernel (not positive semi-definite in general) need not be the
  // largest in magnitude, as power iteration finds it: shifted by Gershgorin's bound on the most negative
  // eigenvalue, every eigenvalue is non-negative and the largest one is the largest in magnitude.
  double shift = 0.0;
  for (size_t i = 0; i < z; ++i) {
    double off_diagonal = 0.0;
    for (size_t j = 0; j < z; ++j) off_diagonal += j == i ? 0.0 : std::fabs(kernel[i * z + j]);
    shift = std::max(shift, off_diagonal - kernel[i * z + i]);
  }
  for (size_t i = 0; i < z; ++i) kernel[i * z + i] += shift;
  double shifted_eigenvalue = 0.0;
  const std::vector<double> v = top_eigenvector(kernel, layer.positions, &shifted_eigenvalue);
  const double eigenvalue = shifted_eigenvalue - shift;
  const double scale = std::sqrt(std::max(eigenvalue, 0.0));  // scikit-learn zeroes tiny negative eigenvalues
  contributions.assign(z, 0.0);
  size_t strongest = 0;
  for (size_t i = 0; i < z; ++i) {
    contributions[i] = scale * v[i];
    if (std::fabs(contributions[i]) > std::fabs(contributions[strongest])) strongest = i;
  }
  if (contributions[strongest] < 0.0) {
    for (double& value : contributions) value = -value;
  }
}

extern const CamMethodInfo kKpcaCam = {
    "kpca_cam",
    "KPCA-CAM",
    "First kernel principal component of the activations (sigmoid kernel): Eigen-CAM's idea with non-linear "
    "structure; no gradients.",
    "Karmani et al., MMSP 2024",
    /*needs_gradients=*/false,
    Projection::kNever,
    kpca_cam,
    /*max_positions=*/1024};

}  // namespace dermcam::cam

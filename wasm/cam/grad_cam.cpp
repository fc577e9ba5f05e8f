// Grad-CAM. Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
// Localization", ICCV 2017, eq. 1: alpha_k = (1/Z) sum_ij dy/dA_kij; eq. 2: map = ReLU(sum_k alpha_k A_k).
#include "method.h"

namespace dermcam::cam {

void grad_cam(const LayerView& layer, std::vector<double>& contributions) {
  const size_t z = static_cast<size_t>(layer.positions);
  std::vector<double> weights(layer.channels);
  for (int k = 0; k < layer.channels; ++k) {
    const float* g = layer.gradients + k * z;
    double sum = 0.0;
    for (size_t i = 0; i < z; ++i) sum += g[i];
    weights[k] = sum / static_cast<double>(z);
  }
  weight_channels(layer, weights, contributions);
}

}  // namespace dermcam::cam

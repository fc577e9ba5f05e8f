// Grad-CAM++. Chattopadhay et al., "Grad-CAM++: Generalized Gradient-based Visual Explanations for Deep
// Convolutional Networks", WACV 2018, eq. 19 with exponential scores (so higher derivatives are powers of
// the first): a_kij = g^2 / (2 g^2 + (sum_ab A_kab) g^3 + 1e-6), a = 0 where g = 0;
// w_k = sum_ij ReLU(g_kij) a_kij; map = sum_k w_k A_k.
#include <algorithm>

#include "method.h"

namespace dermcam::cam {

void grad_cam_plus_plus(const LayerView& layer, std::vector<double>& contributions) {
  constexpr double kEps = 1e-6;
  const size_t z = static_cast<size_t>(layer.positions);
  std::vector<double> weights(layer.channels);
  for (int k = 0; k < layer.channels; ++k) {
    const float* g = layer.gradients + k * z;
    const double activation_sum = channel_sum(layer.activations, k, layer.positions);
    double weight = 0.0;
    for (size_t i = 0; i < z; ++i) {
      const double g1 = g[i];
      if (g1 == 0.0) continue;
      const double g2 = g1 * g1;
      const double g3 = g2 * g1;
      const double alpha = g2 / (2.0 * g2 + activation_sum * g3 + kEps);
      weight += std::max(g1, 0.0) * alpha;
    }
    weights[k] = weight;
  }
  weight_channels(layer, weights, contributions);
}

extern const CamMethodInfo kGradCamPlusPlus = {
    "gradcam++",
    "Grad-CAM++",
    "Weights favour positive gradients: better when a class appears in several places.",
    "Chattopadhay et al., WACV 2018",
    /*needs_gradients=*/true,
    Projection::kOnRequest,
    grad_cam_plus_plus};

}  // namespace dermcam::cam

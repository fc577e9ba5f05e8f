// XGrad-CAM. Fu et al., "Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation of CNNs",
// BMVC 2020 (the XGrad-CAM weights): w_k = sum_ij (A_kij / (sum_ab A_kab + 1e-7)) dy/dA_kij; map = sum_k w_k A_k.
#include "method.h"

namespace dermcam::cam {

void xgrad_cam(const LayerView& layer, std::vector<double>& contributions) {
  constexpr double kEps = 1e-7;
  const size_t z = static_cast<size_t>(layer.positions);
  std::vector<double> weights(layer.channels);
  for (int k = 0; k < layer.channels; ++k) {
    const float* a = layer.activations + k * z;
    const float* g = layer.gradients + k * z;
    const double activation_sum = channel_sum(layer.activations, k, layer.positions);
    double weighted = 0.0;
    for (size_t i = 0; i < z; ++i) weighted += static_cast<double>(g[i]) * a[i];
    weights[k] = weighted / (activation_sum + kEps);
  }
  weight_channels(layer, weights, contributions);
}

extern const CamMethodInfo kXGradCam = {
    "xgradcam",
    "XGrad-CAM",
    "Gradients weighted by normalised activations, from sensitivity and conservation axioms.",
    "Fu et al., BMVC 2020",
    /*needs_gradients=*/true,
    Projection::kOnRequest,
    xgrad_cam};

}  // namespace dermcam::cam

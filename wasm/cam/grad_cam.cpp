// Grad-CAM. Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
// Localization", ICCV 2017, eq. 1: alpha_k = (1/Z) sum_ij dy/dA_kij; eq. 2: map = ReLU(sum_k alpha_k A_k).
#include "method.h"

namespace dermcam::cam {

void grad_cam(const LayerView& layer, std::vector<double>& contributions) {
  std::vector<double> weights(layer.channels);
  for (int k = 0; k < layer.channels; ++k) weights[k] = mean_gradient(layer, k);
  weight_channels(layer, weights, contributions);
}

extern const CamMethodInfo kGradCam = {"gradcam",
                                       "Grad-CAM",
                                       "Channels weighted by their average gradient: the classic, smooth explanation.",
                                       "Selvaraju et al., ICCV 2017",
                                       /*needs_gradients=*/true,
                                       Projection::kOnRequest,
                                       grad_cam,
                                       /*max_positions=*/0,
                                       Target::kClassScore,
                                       /*reads_mean_gradients=*/true};

}  // namespace dermcam::cam

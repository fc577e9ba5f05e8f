// Ablation-CAM. Desai & Ramaswamy, "Ablation-CAM: Visual Explanations for Deep Convolutional Network via
// Gradient-free Localization", WACV 2020, as pytorch-grad-cam's AblationCAM: w_k = (s - s_k) / s, the relative
// drop of the class score s when channel k of the target layer is ablated (s_k: the model's head run on the
// layer with channel k removed, web/js/cam/ablation-cam.mjs); map = sum_k w_k A_k. Gradient-free: w_k is
// LayerView::channel_values[k] (Target::kAblationDrops).
#include <vector>

#include "method.h"

namespace dermcam::cam {

void ablation_cam(const LayerView& layer, std::vector<double>& contributions) {
  const std::vector<double> weights(layer.channel_values, layer.channel_values + layer.channels);
  weight_channels(layer, weights, contributions);
}

extern const CamMethodInfo kAblationCam = {
    "ablationcam",
    "Ablation-CAM",
    "Channels weighted by how much the class score drops when each is removed; runs the model's last part once "
    "per channel.",
    "Desai & Ramaswamy, WACV 2020",
    /*needs_gradients=*/false,
    Projection::kOnRequest,
    ablation_cam,
    /*max_positions=*/0,
    Target::kAblationDrops};

}  // namespace dermcam::cam

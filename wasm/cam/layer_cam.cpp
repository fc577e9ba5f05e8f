// LayerCAM. Jiang et al., "LayerCAM: Exploring Hierarchical Class Activation Maps for Localization",
// IEEE TIP 2021 (the LayerCAM definition): map = ReLU(sum_k ReLU(dy/dA_k) (.) A_k).
#include <algorithm>

#include "method.h"

namespace dermcam::cam {

void layer_cam(const LayerView& layer, std::vector<double>& contributions) {
  const size_t n = static_cast<size_t>(layer.channels) * layer.positions;
  contributions.resize(n);
  for (size_t i = 0; i < n; ++i) {
    contributions[i] = std::max(0.0, static_cast<double>(layer.gradients[i])) * layer.activations[i];
  }
}

extern const CamMethodInfo kLayerCam = {"layercam",
                                        "LayerCAM",
                                        "Positive gradients weight each position separately: sharper, finer maps.",
                                        "Jiang et al., IEEE TIP 2021",
                                        /*needs_gradients=*/true,
                                        Projection::kOnRequest,
                                        layer_cam};

}  // namespace dermcam::cam

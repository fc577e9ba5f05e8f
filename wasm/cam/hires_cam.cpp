// HiResCAM. Draelos & Carin, "Use HiResCAM instead of Grad-CAM for faithful explanations of convolutional
// neural networks", 2020 (the HiResCAM definition): map = sum_k dy/dA_k (.) A_k (element-wise, no spatial averaging).
#include "method.h"

namespace dermcam::cam {

void hires_cam(const LayerView& layer, std::vector<double>& contributions) {
  const size_t n = static_cast<size_t>(layer.channels) * layer.positions;
  contributions.resize(n);
  for (size_t i = 0; i < n; ++i) {
    contributions[i] = static_cast<double>(layer.gradients[i]) * layer.activations[i];
  }
}

extern const CamMethodInfo kHiResCam = {
    "hirescam",
    "HiResCAM",
    "Gradient times activation at every position: faithful to what the model computed.",
    "Draelos & Carin, 2020",
    /*needs_gradients=*/true,
    Projection::kOnRequest,
    hires_cam};

}  // namespace dermcam::cam

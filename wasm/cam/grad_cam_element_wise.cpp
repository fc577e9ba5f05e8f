// GradCAMElementWise (pytorch-grad-cam's variant of HiResCAM): map = sum_k ReLU(dy/dA_k (.) A_k), so
// negative element-wise evidence cannot cancel positive evidence in another channel.
#include <algorithm>

#include "method.h"

namespace dermcam::cam {

void grad_cam_element_wise(const LayerView& layer, std::vector<double>& contributions) {
  const size_t n = static_cast<size_t>(layer.channels) * layer.positions;
  contributions.resize(n);
  for (size_t i = 0; i < n; ++i) {
    contributions[i] = std::max(0.0, static_cast<double>(layer.gradients[i]) * layer.activations[i]);
  }
}

extern const CamMethodInfo kGradCamElementWise = {"gradcamelementwise",
                                                  "Grad-CAM element-wise",
                                                  "Like HiResCAM, but only positive evidence is kept in each channel.",
                                                  "pytorch-grad-cam variant of HiResCAM",
                                                  /*needs_gradients=*/true,
                                                  Projection::kOnRequest,
                                                  grad_cam_element_wise};

}  // namespace dermcam::cam

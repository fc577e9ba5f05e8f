// EigenGradCAM (pytorch-grad-cam variant): Eigen-CAM's first-principal-component projection applied to
// dy/dA (.) A, so the map is class-discriminative. The pipeline always projects for this method.
#include "method.h"

namespace dermcam::cam {

void eigen_grad_cam(const LayerView& layer, std::vector<double>& contributions) {
  const size_t n = static_cast<size_t>(layer.channels) * layer.positions;
  contributions.resize(n);
  for (size_t i = 0; i < n; ++i) {
    contributions[i] = static_cast<double>(layer.gradients[i]) * layer.activations[i];
  }
}

}  // namespace dermcam::cam

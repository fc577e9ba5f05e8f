// Eigen-CAM. Muhammad & Yeasin, "Eigen-CAM: Class Activation Map using Principal Components", IJCNN 2020:
// the projection of the (centred) activations on their first principal component. Gradient-free:
// it explains the layer, not a class. The pipeline always projects for this method.
#include "method.h"

namespace dermcam::cam {

void eigen_cam(const LayerView& layer, std::vector<double>& contributions) {
  const size_t n = static_cast<size_t>(layer.channels) * layer.positions;
  contributions.assign(layer.activations, layer.activations + n);
}

extern const CamMethodInfo kEigenCam = {
    "eigencam",
    "Eigen-CAM",
    "First principal component of the activations; no gradients, so not specific to a class.",
    "Muhammad & Yeasin, IJCNN 2020",
    /*needs_gradients=*/false,
    Projection::kAlways,
    eigen_cam};

}  // namespace dermcam::cam

// EigenGradCAM (pytorch-grad-cam variant): Eigen-CAM's first-principal-component projection applied to
// dy/dA (.) A, so the map is class-discriminative. Its contributions are HiResCAM's; the pipeline always
// projects them for this method.
#include "method.h"

namespace dermcam::cam {

void eigen_grad_cam(const LayerView& layer, std::vector<double>& contributions) { hires_cam(layer, contributions); }

extern const CamMethodInfo kEigenGradCam = {
    "eigengradcam",
    "Eigen-Grad-CAM",
    "First principal component of gradient times activation: class-specific and less noisy.",
    "pytorch-grad-cam variant of Eigen-CAM",
    /*needs_gradients=*/true,
    Projection::kAlways,
    eigen_grad_cam};

}  // namespace dermcam::cam

#include "cam_methods.h"

namespace dermcam {

const std::vector<CamMethodInfo>& cam_method_registry() {
  static const std::vector<CamMethodInfo> registry = {
      {CamMethod::kGradCam, "gradcam", "Grad-CAM",
       "Channels weighted by their average gradient: the classic, smooth explanation.",
       "Selvaraju et al., ICCV 2017", true, false, cam::grad_cam},
      {CamMethod::kHiResCam, "hirescam", "HiResCAM",
       "Gradient times activation at every position: faithful to what the model computed.",
       "Draelos & Carin, 2020", true, false, cam::hires_cam},
      {CamMethod::kGradCamElementWise, "gradcamelementwise", "Grad-CAM element-wise",
       "Like HiResCAM, but only positive evidence is kept in each channel.",
       "pytorch-grad-cam variant of HiResCAM", true, false, cam::grad_cam_element_wise},
      {CamMethod::kGradCamPlusPlus, "gradcam++", "Grad-CAM++",
       "Weights favour positive gradients: better when a class appears in several places.",
       "Chattopadhay et al., WACV 2018", true, false, cam::grad_cam_plus_plus},
      {CamMethod::kXGradCam, "xgradcam", "XGrad-CAM",
       "Gradients weighted by normalised activations, from sensitivity and conservation axioms.",
       "Fu et al., BMVC 2020", true, false, cam::xgrad_cam},
      {CamMethod::kLayerCam, "layercam", "LayerCAM",
       "Positive gradients weight each position separately: sharper, finer maps.",
       "Jiang et al., IEEE TIP 2021", true, false, cam::layer_cam},
      {CamMethod::kEigenCam, "eigencam", "Eigen-CAM",
       "First principal component of the activations; no gradients, so not specific to a class.",
       "Muhammad & Yeasin, IJCNN 2020", false, true, cam::eigen_cam},
      {CamMethod::kEigenGradCam, "eigengradcam", "Eigen-Grad-CAM",
       "First principal component of gradient times activation: class-specific and less noisy.",
       "pytorch-grad-cam variant of Eigen-CAM", true, true, cam::eigen_grad_cam},
  };
  return registry;
}

const CamMethodInfo* find_cam_method(std::string_view id) {
  for (const CamMethodInfo& info : cam_method_registry()) {
    if (id == info.id) return &info;
  }
  return nullptr;
}

const CamMethodInfo& cam_method_info(CamMethod method) {
  for (const CamMethodInfo& info : cam_method_registry()) {
    if (info.method == method) return info;
  }
  return cam_method_registry().front();
}

}  // namespace dermcam

// The registry of CAM methods: the single source of truth for their ids, labels, whether they need
// gradients, and which unit computes them. The UI, the CLI and the bindings list methods from here.
//
// Ids are stable lowercase strings (used in URLs, CLI flags and JSON): gradcam, hirescam,
// gradcamelementwise, gradcam++, xgradcam, layercam, eigencam, eigengradcam — pytorch-grad-cam's names
// lower-cased, so results can be compared one to one.
#pragma once

#include <string_view>
#include <vector>

#include "cam/method.h"

namespace dermcam {

enum class CamMethod {
  kGradCam,
  kHiResCam,
  kGradCamElementWise,
  kGradCamPlusPlus,
  kXGradCam,
  kLayerCam,
  kEigenCam,
  kEigenGradCam,
};

struct CamMethodInfo {
  CamMethod method;
  const char* id;
  const char* label;          // for people, e.g. "Grad-CAM++"
  const char* description;    // one sentence for the UI
  const char* reference;      // the paper
  bool needs_gradients;
  bool always_projects;       // the Eigen methods: first principal component whatever eigen_smooth says
  cam::ContributionFn contributions;
};

const std::vector<CamMethodInfo>& cam_method_registry();

// nullptr when no method has this id.
const CamMethodInfo* find_cam_method(std::string_view id);

const CamMethodInfo& cam_method_info(CamMethod method);

}  // namespace dermcam

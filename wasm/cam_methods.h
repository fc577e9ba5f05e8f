// The registry of CAM methods: the single source of truth for their ids, labels, whether they need
// gradients, and which unit computes them (cam/methods.inc, one line per method). The UI, the CLI and the
// bindings list methods from here.
//
// Ids are stable lowercase strings (used in URLs, CLI flags and JSON): gradcam, hirescam,
// gradcamelementwise, gradcam++, xgradcam, layercam, eigencam, eigengradcam, finercam, scorecam, ablationcam,
// fem, kpca_cam, randomcam — pytorch-grad-cam's class names lower-cased, so results can be compared one to one.
// Each method's Target (cam/method.h) says which gradients it reads, or that it reads a value per channel.
#pragma once

#include <string_view>
#include <vector>

#include "cam/method.h"

namespace dermcam {

const std::vector<CamMethodInfo>& cam_method_registry();

// nullptr when no method has this id.
const CamMethodInfo* find_cam_method(std::string_view id);

}  // namespace dermcam

// FinerCAM. Zhang et al., "Finer-CAM: Spotting the Difference Reveals Finer Details for Visual Explanation",
// CVPR 2025, as pytorch-grad-cam's FinerCAM with its defaults (base method Grad-CAM, alpha = 1, comparison
// categories 1, 2, 3): Grad-CAM of the target T = sum_i p_i (s_n - alpha s_i) / (sum_i p_i + 1e-9), where n is
// the explained class, i runs over the three classes whose scores are nearest to s_n and p = softmax(s). The
// pipeline builds T's gradient from the classes' own gradients (web/js/finer-cam.mjs); the arithmetic on the
// layer is Grad-CAM's. What stands out is what sets the class apart from the ones the model confuses it with.
#include "method.h"

namespace dermcam::cam {

extern const CamMethodInfo kFinerCam = {
    "finercam",
    "FinerCAM",
    "Grad-CAM of the explained class against its three most similar classes: what tells them apart.",
    "Zhang et al., CVPR 2025",
    /*needs_gradients=*/true,
    Projection::kOnRequest,
    grad_cam,
    /*max_positions=*/0,
    Target::kFinerComparison,
    /*reads_mean_gradients=*/true};

}  // namespace dermcam::cam

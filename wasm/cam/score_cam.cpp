// Score-CAM. Wang et al., "Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural Networks",
// CVPRW 2020, as pytorch-grad-cam's ScoreCAM: each channel k, upsampled to the input size and min-max scaled,
// masks the input; the class score of that masked input is s_k (one model run per channel, batched by the
// pipeline, web/js/cam/score-cam.mjs); w = softmax over channels of s; map = sum_k w_k A_k. Gradient-free: s_k
// is LayerView::channel_values[k] (Target::kChannelScores).
#include <algorithm>
#include <cmath>
#include <vector>

#include "method.h"

namespace dermcam::cam {

void score_cam(const LayerView& layer, std::vector<double>& contributions) {
  const std::vector<double> scores(layer.channel_values, layer.channel_values + layer.channels);
  const double largest = *std::max_element(scores.begin(), scores.end());
  std::vector<double> weights(layer.channels);
  double total = 0.0;
  for (int k = 0; k < layer.channels; ++k) total += weights[k] = std::exp(scores[k] - largest);
  for (double& w : weights) w /= total;
  weight_channels(layer, weights, contributions);
}

extern const CamMethodInfo kScoreCam = {
    "scorecam",
    "Score-CAM",
    "Channels weighted by how much the class score keeps when only that channel's region of the photo is shown; "
    "one model run per channel.",
    "Wang et al., CVPRW 2020",
    /*needs_gradients=*/false,
    Projection::kOnRequest,
    score_cam,
    /*max_positions=*/0,
    Target::kChannelScores};

}  // namespace dermcam::cam

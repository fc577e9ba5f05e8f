// Score-CAM. Wang et al., "Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural Networks",
// CVPRW 2020, as pytorch-grad-cam's ScoreCAM: each channel k, upsampled to the input size and min-max scaled,
// masks the input; the class score of that masked input is s_k (one model run per channel, batched by the
// pipeline, web/js/score-cam.mjs); w = softmax over channels of s; map = sum_k w_k A_k. Gradient-free: the
// pipeline passes s_k in the gradients' place, at every position of channel k (Target::kChannelScores).
#include <algorithm>
#include <cmath>
#include <vector>

#include "method.h"

namespace dermcam::cam {

void score_cam(const LayerView& layer, std::vector<double>& contributions) {
  // The channel's score is the same at each of its positions; their mean reads it whatever the layout did.
  std::vector<double> scores(layer.channels);
  for (int k = 0; k < layer.channels; ++k) scores[k] = channel_sum(layer.gradients, k, layer.positions) / layer.positions;
  const double largest = *std::max_element(scores.begin(), scores.end());
  std::vector<double> weights(layer.channels);
  double total = 0.0;
  for (int k = 0; k < layer.channels; ++k) total += weights[k] = std::exp(scores[k] - largest);
  for (double& w : weights) w /= total;
  weight_channels(layer, weights, contributions);
}

extern const CamMethodInfo kScoreCam = {"scorecam", "Score-CAM",
    "Channels weighted by how much the class score keeps when only that channel's region of the photo is shown; "
    "one model run per channel.",
    "Wang et al., CVPRW 2020", /*needs_gradients=*/true, Projection::kOnRequest, score_cam, /*max_positions=*/0,
    Target::kChannelScores};

}  // namespace dermcam::cam

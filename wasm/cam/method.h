// The contract every CAM method unit implements (one file per method in this folder).
//
// Input: one target layer of one image, channel-major. activations[k * positions + i] is channel k at
// spatial position i (row-major over height x width); gradients has the same layout and holds
// d(score)/d(activations) for one class (nullptr for gradient-free methods). All values are finite
// (the pipeline checks before calling).
//
// Output: `contributions` (channels x positions, same layout), what channel k adds to the map at position i.
// The shared pipeline (cam.h) turns it into the map: the sum over channels, or its first principal
// component (eigen_smooth, and always for the Eigen methods). Formulas follow pytorch-grad-cam 1.5.
#pragma once

#include <cstddef>
#include <vector>

namespace dermcam::cam {

struct LayerView {
  const float* activations = nullptr;
  const float* gradients = nullptr;
  int channels = 0;
  int positions = 0;
};

using ContributionFn = void (*)(const LayerView& layer, std::vector<double>& contributions);

void grad_cam(const LayerView& layer, std::vector<double>& contributions);
void hires_cam(const LayerView& layer, std::vector<double>& contributions);
void grad_cam_element_wise(const LayerView& layer, std::vector<double>& contributions);
void grad_cam_plus_plus(const LayerView& layer, std::vector<double>& contributions);
void xgrad_cam(const LayerView& layer, std::vector<double>& contributions);
void layer_cam(const LayerView& layer, std::vector<double>& contributions);
void eigen_cam(const LayerView& layer, std::vector<double>& contributions);
void eigen_grad_cam(const LayerView& layer, std::vector<double>& contributions);

// Shared by the channel-weight methods: contributions[k][i] = weights[k] * activations[k][i].
void weight_channels(const LayerView& layer, const std::vector<double>& weights, std::vector<double>& contributions);

// sum_i values[k * positions + i] for channel k.
double channel_sum(const float* values, int k, int positions);

}  // namespace dermcam::cam

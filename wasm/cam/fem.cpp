// FEM, the Feature Explanation Method. Fuad et al., "Features understanding in 3D CNNs for actions recognition
// in video", IPTA 2020: a channel's weight is the share of its positions above the k-sigma threshold,
// w_k = mean_i [A_ki > mean(A_k) + 2 std(A_k)] (population std, k = 2 as pytorch-grad-cam), map = sum_k w_k A_k.
// Gradient-free: it explains the layer, not a class. pytorch-grad-cam's FEM ignores eigen_smooth, and so does this.
#include <cmath>

#include "method.h"

namespace dermcam::cam {

constexpr double kSigmas = 2.0;

void fem(const LayerView& layer, std::vector<double>& contributions) {
  const int z = layer.positions;
  std::vector<double> weights(layer.channels);
  for (int k = 0; k < layer.channels; ++k) {
    const float* a = layer.activations + static_cast<size_t>(k) * z;
    const double mean = channel_sum(layer.activations, k, z) / z;
    double variance = 0.0;
    for (int i = 0; i < z; ++i) variance += (a[i] - mean) * (a[i] - mean);
    const double threshold = mean + kSigmas * std::sqrt(variance / z);
    int above = 0;
    for (int i = 0; i < z; ++i) above += a[i] > threshold;
    weights[k] = static_cast<double>(above) / z;
  }
  weight_channels(layer, weights, contributions);
}

extern const CamMethodInfo kFem = {
    "fem",
    "FEM",
    "Channels weighted by how often they respond unusually strongly (above two standard deviations); no gradients.",
    "Fuad et al., IPTA 2020",
    /*needs_gradients=*/false,
    Projection::kNever,
    fem};

}  // namespace dermcam::cam

#include "method.h"

namespace dermcam::cam {

void weight_channels(const LayerView& layer, const std::vector<double>& weights, std::vector<double>& contributions) {
  const size_t z = static_cast<size_t>(layer.positions);
  if (layer.sum_only) {
    contributions.assign(z, 0.0);
    double* sum = contributions.data();
    for (int k = 0; k < layer.channels; ++k) {
      const float* a = layer.activations + k * z;
      const double w = weights[k];
      for (size_t i = 0; i < z; ++i) sum[i] += w * a[i];
    }
    return;
  }
  contributions.resize(static_cast<size_t>(layer.channels) * z);
  for (int k = 0; k < layer.channels; ++k) {
    const float* a = layer.activations + k * z;
    double* out = contributions.data() + k * z;
    for (size_t i = 0; i < z; ++i) out[i] = weights[k] * a[i];
  }
}

double mean_gradient(const LayerView& layer, int k) {
  if (layer.gradients_per_channel) return layer.gradients[k];
  return channel_sum(layer.gradients, k, layer.positions) / static_cast<double>(layer.positions);
}

double channel_sum(const float* values, int k, int positions) {
  const float* v = values + static_cast<size_t>(k) * positions;
  double sum = 0.0;
  for (int i = 0; i < positions; ++i) sum += v[i];
  return sum;
}

}  // namespace dermcam::cam

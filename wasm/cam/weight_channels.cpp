#include "method.h"

namespace dermcam::cam {

void weight_channels(const LayerView& layer, const std::vector<double>& weights, std::vector<double>& contributions) {
  const size_t z = static_cast<size_t>(layer.positions);
  contributions.resize(static_cast<size_t>(layer.channels) * z);
  for (int k = 0; k < layer.channels; ++k) {
    const float* a = layer.activations + k * z;
    double* out = contributions.data() + k * z;
    for (size_t i = 0; i < z; ++i) out[i] = weights[k] * a[i];
  }
}

double channel_sum(const float* values, int k, int positions) {
  const float* v = values + static_cast<size_t>(k) * positions;
  double sum = 0.0;
  for (int i = 0; i < positions; ++i) sum += v[i];
  return sum;
}

}  // namespace dermcam::cam

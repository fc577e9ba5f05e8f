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

}  // namespace dermcam::cam

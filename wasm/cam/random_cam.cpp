// Random-CAM: the baseline a map should beat, as pytorch-grad-cam's RandomCAM: channel weights drawn uniformly
// from [-1, 1), map = sum_k w_k A_k. The draws come from a fixed-seed generator (SplitMix64), so a photo's random
// map is the same on every device and run (pytorch-grad-cam draws from numpy's global state instead). It keeps
// the activations' spatial structure, so comparing with it asks whether the method's weighting matters, not
// whether the map is smooth; the faithfulness metrics use it as their random map (web/js/faithfulness.mjs).
#include <cstdint>
#include <vector>

#include "method.h"

namespace dermcam::cam {

void random_cam(const LayerView& layer, std::vector<double>& contributions) {
  uint64_t state = 20261125;
  auto next = [&state]() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  std::vector<double> weights(layer.channels);
  for (double& w : weights) w = static_cast<double>(next() >> 11) * 0x1.0p-53 * 2.0 - 1.0;
  weight_channels(layer, weights, contributions);
}

extern const CamMethodInfo kRandomCam = {
    "randomcam",
    "Random-CAM",
    "A baseline: the activations weighted at random (a fixed seed); a useful map should beat it.",
    "pytorch-grad-cam's RandomCAM",
    /*needs_gradients=*/false,
    Projection::kOnRequest,
    random_cam};

}  // namespace dermcam::cam

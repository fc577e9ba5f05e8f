// The contract every CAM method unit implements (one file per method in this folder, listed in methods.inc).
//
// Input: one target layer of one image, channel-major. activations[k * positions + i] is channel k at
// spatial position i (row-major over height x width); gradients has the same layout and holds
// d(score)/d(activations) for one class (nullptr for gradient-free methods). All values are finite
// (the pipeline checks before calling).
//
// Output: `contributions` (rows x positions, same layout): usually one row per channel, what channel k adds to
// the map at position i; a method that computes its map directly (KPCA-CAM) returns it as one row. The shared
// pipeline (cam.h) turns them into the map: the sum over rows, or their first principal component (eigen_smooth;
// see Projection). Formulas follow pytorch-grad-cam 1.5.
#pragma once

#include <cstddef>
#include <vector>

namespace dermcam::cam {
struct LayerView;
using ContributionFn = void (*)(const LayerView& layer, std::vector<double>& contributions);
}  // namespace dermcam::cam

namespace dermcam {

// How the pipeline turns a method's contributions into the raw map.
enum class Projection {
  kOnRequest,  // the sum over rows, or the first principal component with eigen_smooth
  kAlways,     // the first principal component whatever eigen_smooth says (the Eigen methods)
  kNever,      // the sum over rows whatever eigen_smooth says (pytorch-grad-cam's FEM and KPCA-CAM ignore it)
};

// What a method reads besides the activations: which gradients, or which value per channel. The pipeline's
// explanation provider for each target makes them (web/js/cam/providers.mjs).
enum class Target {
  kClassScore,       // gradients of the explained class's score
  kFinerComparison,  // gradients of FinerCAM's target: the explained class against its most similar classes
  kChannelScores,    // channel values: s_k, the class score of the input masked by channel k (Score-CAM's
                     // perturbation runs, web/js/cam/score-cam.mjs)
  kAblationDrops,    // channel values: (s - s_k) / s, the class score's relative drop when channel k is ablated
                     // (Ablation-CAM's runs of the model's head, web/js/cam/ablation-cam.mjs)
};

// Does a method with this target read LayerView::channel_values (and no gradients)?
constexpr bool reads_channel_values(Target target) {
  return target == Target::kChannelScores || target == Target::kAblationDrops;
}

// What a method unit defines (as `extern const CamMethodInfo kName`): the registry (cam_methods.h) lists these.
struct CamMethodInfo {
  const char* id;           // stable, lowercase: pytorch-grad-cam's class name lower-cased, e.g. "gradcam++"
  const char* label;        // the method's proper name, e.g. "Grad-CAM++"
  const char* description;  // one sentence for developers (the app's plain line is in web/js/i18n.mjs)
  const char* reference;    // the paper
  bool needs_gradients;
  Projection projection;
  cam::ContributionFn contributions;
  int max_positions = 0;  // the largest target layer (height x width) the method takes; 0: no limit of its own
  Target target = Target::kClassScore;
  // The method reads the gradients only through mean_gradient(): per-channel gradients (a global-average-pooling
  // head's) then reach it as they are, instead of spread over every position for it to average back.
  bool reads_mean_gradients = false;
};

}  // namespace dermcam

namespace dermcam::cam {

struct LayerView {
  const float* activations = nullptr;  // channel-major: activations[k * positions + i]
  const float* gradients = nullptr;    // the same layout; null for a method that needs none
  int channels = 0;
  int positions = 0;
  const float* channel_values = nullptr;  // [channels], for a method whose target reads them; null otherwise
  // gradients holds [channels], the same at every position; set only for a method that reads_mean_gradients.
  bool gradients_per_channel = false;
  // The pipeline only sums the rows (no eigen_smooth): a method may return that sum as its one row, which is the
  // same map bit for bit when it adds the rows in channel order (weight_channels does), without the rows' memory.
  bool sum_only = false;
};

// Channel k's gradient averaged over its positions: (1/Z) sum_i gradients[k][i], in double; for per-channel
// gradients the value itself (the average of Z copies of a float is that float exactly).
double mean_gradient(const LayerView& layer, int k);

// Grad-CAM's channel weighting, also FinerCAM's base method.
void grad_cam(const LayerView& layer, std::vector<double>& contributions);

// Gradient times activation at every position (HiResCAM), also the input of Eigen-Grad-CAM.
void hires_cam(const LayerView& layer, std::vector<double>& contributions);

// Shared by the channel-weight methods: contributions[k][i] = weights[k] * activations[k][i], or with
// layer.sum_only the one row sum_k weights[k] * activations[k][i], added in channel order.
void weight_channels(const LayerView& layer, const std::vector<double>& weights, std::vector<double>& contributions);

// sum_i values[k * positions + i] for channel k.
double channel_sum(const float* values, int k, int positions);

}  // namespace dermcam::cam

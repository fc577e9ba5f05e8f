#include "cam.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "map_resize.h"
#include "principal_component.h"

namespace dermcam {
namespace {

constexpr double kScaleEps = 1e-7;      // pytorch-grad-cam's scale_cam_image
constexpr double kFlatRelative = 1e-6;  // range below this fraction of the maximum: a flat map

Error invalid(const std::string& message) { return Error{ErrorCode::kInvalidArgument, message}; }

bool all_finite(const float* data, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(data[i])) return false;
  }
  return true;
}

// Channel-major copy of a channel-last tensor.
std::vector<float> to_channel_major(const float* data, int channels, int positions) {
  std::vector<float> out(static_cast<size_t>(channels) * positions);
  for (int i = 0; i < positions; ++i) {
    for (int k = 0; k < channels; ++k)
      out[static_cast<size_t>(k) * positions + i] = data[static_cast<size_t>(i) * channels + k];
  }
  return out;
}

// Channel-major gradients of a layer whose gradient is the same at every position of a channel.
std::vector<float> spread_over_positions(const float* per_channel, int channels, int positions) {
  std::vector<float> out(static_cast<size_t>(channels) * positions);
  for (int k = 0; k < channels; ++k) {
    std::fill_n(out.begin() + static_cast<ptrdiff_t>(k) * positions, positions, per_channel[k]);
  }
  return out;
}

MapStatus classify(const std::vector<double>& raw) {
  double lo = 0.0;
  double hi = 0.0;
  for (double v : raw) {
    const double r = std::max(v, 0.0);
    hi = std::max(hi, r);
  }
  if (hi <= 0.0) return MapStatus::kAllZero;
  lo = hi;
  for (double v : raw) lo = std::min(lo, std::max(v, 0.0));
  return (hi - lo) <= kFlatRelative * hi ? MapStatus::kConstant : MapStatus::kOk;
}

// pytorch-grad-cam's scale_cam_image on float32: x -= min; x /= (max + 1e-7).
void scale_in_place(std::vector<float>& map) {
  const float lo = *std::min_element(map.begin(), map.end());
  for (float& v : map) v -= lo;
  const float hi = *std::max_element(map.begin(), map.end());
  const float denominator = static_cast<float>(kScaleEps) + hi;
  for (float& v : map) v /= denominator;
}

Result<bool> validate(const std::vector<CamRun>& runs, const CamOptions& options, const CamMethodInfo& method) {
  if (runs.empty() || runs.size() > static_cast<size_t>(kMaxCamRuns)) {
    return invalid("A CAM needs between 1 and " + std::to_string(kMaxCamRuns) + " runs.");
  }
  if (options.output_width < 1 || options.output_height < 1 || options.output_width > 4096 ||
      options.output_height > 4096) {
    return invalid("The CAM output size must be between 1 and 4096 pixels per side.");
  }
  const std::vector<LayerInput>& first = runs.front().layers;
  if (first.empty() || first.size() > static_cast<size_t>(kMaxCamLayers)) {
    return invalid("A CAM needs between 1 and " + std::to_string(kMaxCamLayers) + " target layers.");
  }
  for (const CamRun& run : runs) {
    if (run.layers.size() != first.size()) return invalid("Every run must have the same target layers.");
    for (size_t l = 0; l < run.layers.size(); ++l) {
      const LayerInput& layer = run.layers[l];
      if (layer.channels < 1 || layer.height < 1 || layer.width < 1 ||
          static_cast<long>(layer.channels) * layer.height * layer.width > kMaxLayerElements) {
        return invalid("Target layer " + std::to_string(l) + " has an invalid shape.");
      }
      if (layer.channels != first[l].channels || layer.height != first[l].height || layer.width != first[l].width) {
        return invalid("Target layer " + std::to_string(l) + " has different shapes in different runs.");
      }
      if (layer.activations == nullptr) return invalid("Target layer " + std::to_string(l) + " has no activations.");
      if (method.max_positions > 0 && layer.height * layer.width > method.max_positions) {
        return invalid(std::string(method.label) + " takes target layers of up to " +
                       std::to_string(method.max_positions) + " positions; target layer " + std::to_string(l) +
                       " has " + std::to_string(layer.height * layer.width) + ".");
      }
      if (method.needs_gradients && layer.gradients == nullptr) {
        return invalid(std::string(method.label) + " needs gradients, and target layer " + std::to_string(l) +
                       " has none.");
      }
      if (reads_channel_values(method.target) && layer.channel_values == nullptr) {
        return invalid(std::string(method.label) + " needs a value per channel (its model runs), and target layer " +
                       std::to_string(l) + " has none.");
      }
    }
  }
  return true;
}

}  // namespace

const char* map_status_name(MapStatus status) {
  switch (status) {
    case MapStatus::kOk:
      return "ok";
    case MapStatus::kAllZero:
      return "all_zero";
    case MapStatus::kConstant:
      return "constant";
    case MapStatus::kNonFinite:
      return "non_finite";
  }
  return "ok";
}

const char* map_status_message(MapStatus status) {
  switch (status) {
    case MapStatus::kOk:
      return "";
    case MapStatus::kAllZero:
      return "The explanation is empty: nothing in this layer speaks for the class (all evidence is negative).";
    case MapStatus::kConstant:
      return "The explanation is flat: every region contributes equally, so there is nothing to highlight.";
    case MapStatus::kNonFinite:
      return "The explanation could not be computed: the model produced invalid numbers (NaN or infinity).";
  }
  return "";
}

Result<CamResult> compute_cam(const std::vector<CamRun>& runs, const CamOptions& options) {
  const CamMethodInfo* found = find_cam_method(options.method);
  if (found == nullptr) return invalid("There is no CAM method '" + options.method + "'.");
  const CamMethodInfo& method = *found;
  auto valid = validate(runs, options, method);
  if (!valid) return valid.error();
  const bool project =
      method.projection == Projection::kAlways || (options.eigen_smooth && method.projection == Projection::kOnRequest);
  const int out_w = options.output_width;
  const int out_h = options.output_height;
  const size_t out_size = static_cast<size_t>(out_w) * out_h;

  CamResult result;
  result.width = out_w;
  result.height = out_h;
  result.map.assign(out_size, 0.0f);
  std::vector<float> run_sum(out_size, 0.0f);
  bool non_finite = false;
  std::vector<double> contributions;

  for (size_t r = 0; r < runs.size(); ++r) {
    const CamRun& run = runs[r];
    std::vector<float> fused(out_size, 0.0f);
    for (const LayerInput& layer : run.layers) {
      const int z = layer.height * layer.width;
      const size_t n = static_cast<size_t>(layer.channels) * z;
      const bool channel_valued = reads_channel_values(method.target);
      const size_t gradient_count = layer.gradients_per_channel ? static_cast<size_t>(layer.channels) : n;
      if (!all_finite(layer.activations, n) ||
          (layer.gradients != nullptr && !all_finite(layer.gradients, gradient_count)) ||
          (channel_valued && !all_finite(layer.channel_values, static_cast<size_t>(layer.channels)))) {
        non_finite = true;
        if (r == 0)
          result.layers.push_back(
              {layer.width, layer.height, std::vector<float>(z, 0.0f), 0, 0, MapStatus::kNonFinite});
        continue;
      }
      std::vector<float> a_copy;
      std::vector<float> g_copy;
      cam::LayerView view{layer.activations, method.needs_gradients ? layer.gradients : nullptr, layer.channels, z,
                          channel_valued ? layer.channel_values : nullptr};
      if (layer.layout == TensorLayout::kNHWC) {
        a_copy = to_channel_major(layer.activations, layer.channels, z);
        view.activations = a_copy.data();
      }
      if (view.gradients != nullptr && layer.gradients_per_channel) {
        if (method.reads_mean_gradients) {
          view.gradients_per_channel = true;
        } else {
          g_copy = spread_over_positions(layer.gradients, layer.channels, z);
          view.gradients = g_copy.data();
        }
      } else if (view.gradients != nullptr && layer.layout == TensorLayout::kNHWC) {
        g_copy = to_channel_major(layer.gradients, layer.channels, z);
        view.gradients = g_copy.data();
      }
      view.sum_only = !project;
      method.contributions(view, contributions);

      std::vector<double> raw;
      const int rows = static_cast<int>(contributions.size() / static_cast<size_t>(z));
      if (project) {
        raw = first_principal_component_projection(contributions, rows, z);
      } else {
        raw.assign(z, 0.0);
        for (int k = 0; k < rows; ++k) {
          const double* row = &contributions[static_cast<size_t>(k) * z];
          for (int i = 0; i < z; ++i) raw[i] += row[i];
        }
      }
      const auto representable = [](double v) { return std::isfinite(v) && std::fabs(v) <= 3.4e38; };
      if (!std::all_of(raw.begin(), raw.end(), representable)) {
        non_finite = true;  // finite inputs can still overflow, or leave float range
        if (r == 0)
          result.layers.push_back(
              {layer.width, layer.height, std::vector<float>(z, 0.0f), 0, 0, MapStatus::kNonFinite});
        continue;
      }

      if (r == 0) {
        LayerMap lm;
        lm.width = layer.width;
        lm.height = layer.height;
        lm.raw.assign(raw.begin(), raw.end());
        lm.raw_min = *std::min_element(raw.begin(), raw.end());
        lm.raw_max = *std::max_element(raw.begin(), raw.end());
        lm.status = classify(raw);
        result.layers.push_back(std::move(lm));
      }

      // ReLU and min-max scaling in double, so huge raw values cannot overflow float on the way to [0, 1].
      double lo = std::max(raw[0], 0.0);
      double hi = lo;
      for (double v : raw) {
        lo = std::min(lo, std::max(v, 0.0));
        hi = std::max(hi, std::max(v, 0.0));
      }
      std::vector<float> scaled(z);
      for (int i = 0; i < z; ++i) scaled[i] = static_cast<float>((std::max(raw[i], 0.0) - lo) / (hi - lo + kScaleEps));
      const std::vector<float> resized = resize_map_bilinear(scaled.data(), layer.width, layer.height, out_w, out_h);
      for (size_t i = 0; i < out_size; ++i) fused[i] += std::max(resized[i], 0.0f);
    }
    const float layer_count = static_cast<float>(run.layers.size());
    for (float& v : fused) v /= layer_count;
    scale_in_place(fused);
    if (run.flipped) {
      for (int y = 0; y < out_h; ++y)
        std::reverse(fused.begin() + static_cast<ptrdiff_t>(y) * out_w,
                     fused.begin() + static_cast<ptrdiff_t>(y + 1) * out_w);
    }
    for (size_t i = 0; i < out_size; ++i) run_sum[i] += fused[i];
  }

  if (non_finite) {
    result.status = MapStatus::kNonFinite;
    return result;
  }
  const float run_count = static_cast<float>(runs.size());
  for (size_t i = 0; i < out_size; ++i) result.map[i] = run_sum[i] / run_count;
  const auto [lo, hi] = std::minmax_element(result.map.begin(), result.map.end());
  if (*hi - *lo <= kFlatRelative * std::max(*hi, 1e-30f)) {
    const MapStatus first = result.layers.front().status;
    result.status = first == MapStatus::kOk ? MapStatus::kConstant : first;
    std::fill(result.map.begin(), result.map.end(), 0.0f);
  }
  return result;
}

}  // namespace dermcam

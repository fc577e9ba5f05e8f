// Class activation maps: camMethods (the registry) and computeCam (one target layer's activations and what the
// method weights them by, for one or more runs: flips for aug_smooth). The readers here are shared with the
// PhotoView handle (cam_inputs.h).
#include "../cam.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../cam_methods.h"
#include "../feature_factorization.h"
#include "../map_resize.h"
#include "calls.h"
#include "cam_inputs.h"
#include "js_values.h"

namespace dermcam::js {
namespace {

Result<StoredLayer> read_layer(const val& js) {
  OptionReader reader(js, {"activations", "gradients", "gradientsPerChannel", "channelValues", "shape", "layout"});
  StoredLayer layer;
  reader.choice<TensorLayout>("layout", {{"NCHW", TensorLayout::kNCHW}, {"NHWC", TensorLayout::kNHWC}}, &layer.layout);
  reader.boolean("gradientsPerChannel", &layer.per_channel);
  if (!reader.error().empty()) return Error{ErrorCode::kInvalidArgument, reader.error()};
  const val shape = js["shape"];
  if (!val::global("Array").call<bool>("isArray", shape) || shape["length"].as<int>() != 4) {
    return Error{ErrorCode::kInvalidArgument, "A layer's 'shape' must be its activations' shape, 4 numbers."};
  }
  int dims[4];
  for (int i = 0; i < 4; ++i) {
    const val d = shape[i];
    if (d.typeOf().as<std::string>() != "number" || d.as<double>() < 1 || d.as<double>() > 1e8 ||
        d.as<double>() != static_cast<double>(d.as<int>())) {
      return Error{ErrorCode::kInvalidArgument, "A layer's 'shape' must hold 4 positive integers."};
    }
    dims[i] = d.as<int>();
  }
  if (dims[0] != 1) return Error{ErrorCode::kInvalidArgument, "Activations must have batch size 1."};
  const bool nchw = layer.layout == TensorLayout::kNCHW;
  layer.channels = nchw ? dims[1] : dims[3];
  layer.height = nchw ? dims[2] : dims[1];
  layer.width = nchw ? dims[3] : dims[2];
  const double elements = static_cast<double>(layer.channels) * layer.height * layer.width;
  if (elements > static_cast<double>(kMaxLayerElements)) {
    return Error{ErrorCode::kInvalidArgument, "The target layer is too large."};
  }
  auto activations = read_floats(js["activations"], "A layer's 'activations'");
  if (!activations) return activations.error();
  layer.activations = std::move(activations).value();
  if (static_cast<double>(layer.activations.size()) != elements) {
    return Error{ErrorCode::kInvalidArgument, "A layer's activations do not match its shape."};
  }
  const val js_gradients = js["gradients"];
  if (!js_gradients.isUndefined() && !js_gradients.isNull()) {
    auto gradients = read_floats(js_gradients, "A layer's 'gradients'");
    if (!gradients) return gradients.error();
    layer.gradients = std::move(gradients).value();
    const size_t per_class = layer.per_channel ? static_cast<size_t>(layer.channels) : layer.activations.size();
    if (layer.gradients.empty() || layer.gradients.size() % per_class != 0) {
      return Error{ErrorCode::kInvalidArgument,
                   layer.per_channel ? "A layer's per-channel gradients must be K x its channel count."
                                     : "A layer's gradients must be K copies of its activations' shape."};
    }
  }
  const val js_values = js["channelValues"];
  if (!js_values.isUndefined() && !js_values.isNull()) {
    auto values = read_floats(js_values, "A layer's 'channelValues'");
    if (!values) return values.error();
    layer.channel_values = std::move(values).value();
  }
  return layer;
}

// The core's view of one stored layer for the explained class (per-channel gradients as they are: the core
// spreads them only for a method that reads them per position).
Result<LayerInput> layer_input(const StoredLayer& stored, const CamCall& call,
                               const std::vector<float>& channel_values) {
  LayerInput layer;
  layer.layout = stored.layout;
  layer.channels = stored.channels;
  layer.height = stored.height;
  layer.width = stored.width;
  layer.activations = stored.activations.data();
  if (!stored.gradients.empty()) {
    const size_t per_class = stored.per_channel ? static_cast<size_t>(stored.channels) : stored.activations.size();
    const size_t classes = stored.gradients.size() / per_class;
    if (call.class_index < 0 || static_cast<size_t>(call.class_index) >= classes) {
      return Error{ErrorCode::kInvalidArgument, "'classIndex' " + std::to_string(call.class_index) +
                                                    " is outside the " + std::to_string(classes) +
                                                    " explained classes."};
    }
    layer.gradients = stored.gradients.data() + per_class * call.class_index;
    layer.gradients_per_channel = stored.per_channel;
  } else if (call.method->needs_gradients) {
    return Error{ErrorCode::kInvalidArgument, "This method needs gradients; the layer has none."};
  }
  if (!channel_values.empty()) {
    if (channel_values.size() != static_cast<size_t>(stored.channels)) {
      return Error{ErrorCode::kInvalidArgument, "A layer's 'channelValues' must hold one value per channel."};
    }
    layer.channel_values = channel_values.data();
  } else if (reads_channel_values(call.method->target)) {
    return Error{ErrorCode::kInvalidArgument,
                 "This method needs a value per channel ('channelValues'); the layer has none."};
  }
  return layer;
}

}  // namespace

Result<CamCall> read_cam_call(const val& js_options, std::set<std::string> extra) {
  if (js_options.isUndefined() || js_options.isNull()) {
    return Error{ErrorCode::kInvalidArgument, "Options are needed, with at least 'method'."};
  }
  extra.insert({"method", "eigenSmooth", "classIndex", "outputWidth", "outputHeight"});
  OptionReader reader(js_options, extra);
  CamCall call;
  reader.boolean("eigenSmooth", &call.options.eigen_smooth);
  reader.integer("classIndex", &call.class_index);
  reader.integer("outputWidth", &call.options.output_width);
  reader.integer("outputHeight", &call.options.output_height);
  if (!reader.error().empty()) return Error{ErrorCode::kInvalidArgument, reader.error()};
  const val js_method = js_options["method"];
  call.method = js_method.isString() ? find_cam_method(js_method.as<std::string>()) : nullptr;
  if (call.method == nullptr) {
    std::string ids;
    for (const CamMethodInfo& info : cam_method_registry()) ids += (ids.empty() ? "" : ", ") + std::string(info.id);
    return Error{ErrorCode::kInvalidArgument, "Option 'method' must be one of " + ids + "."};
  }
  call.options.method = call.method->id;
  return call;
}

Result<std::vector<StoredRun>> read_runs(const val& js_runs) {
  if (!val::global("Array").call<bool>("isArray", js_runs)) {
    return Error{ErrorCode::kInvalidArgument, "Option 'runs' must be an array."};
  }
  const int run_count = js_runs["length"].as<int>();
  if (run_count < 1 || run_count > kMaxCamRuns) {
    return Error{ErrorCode::kInvalidArgument, "'runs' must hold 1 to " + std::to_string(kMaxCamRuns) + " runs."};
  }
  std::vector<StoredRun> runs(run_count);
  for (int r = 0; r < run_count; ++r) {
    const val js_run = js_runs[r];
    OptionReader run_reader(js_run, {"flipped", "layers"});
    run_reader.boolean("flipped", &runs[r].flipped);
    if (!run_reader.error().empty()) return Error{ErrorCode::kInvalidArgument, run_reader.error()};
    const val js_layers = js_run["layers"];
    if (!val::global("Array").call<bool>("isArray", js_layers) || js_layers["length"].as<int>() < 1 ||
        js_layers["length"].as<int>() > kMaxCamLayers) {
      return Error{ErrorCode::kInvalidArgument,
                   "Each run needs 'layers': 1 to " + std::to_string(kMaxCamLayers) + " target layers."};
    }
    const int layer_count = js_layers["length"].as<int>();
    for (int l = 0; l < layer_count; ++l) {
      auto layer = read_layer(js_layers[l]);
      if (!layer) return layer.error();
      runs[r].layers.push_back(std::move(layer).value());
    }
  }
  return runs;
}

Result<CamResult> compute_stored(const std::vector<StoredRun>& stored, const CamCall& call,
                                 const std::vector<std::vector<float>>& channel_values) {
  std::vector<CamRun> runs(stored.size());
  for (size_t r = 0; r < stored.size(); ++r) {
    runs[r].flipped = stored[r].flipped;
    for (size_t l = 0; l < stored[r].layers.size(); ++l) {
      const StoredLayer& layer = stored[r].layers[l];
      if (!channel_values.empty() && channel_values.size() != stored[r].layers.size()) {
        return Error{ErrorCode::kInvalidArgument, "'channelValues' must hold one array per target layer."};
      }
      auto input = layer_input(layer, call, channel_values.empty() ? layer.channel_values : channel_values[l]);
      if (!input) return input.error();
      runs[r].layers.push_back(input.value());
    }
  }
  return compute_cam(runs, call.options);
}

val cam_to_js(const CamResult& cam) {
  val out = val::object();
  out.set("map", copy_out(cam.map));
  out.set("width", cam.width);
  out.set("height", cam.height);
  out.set("status", val(map_status_name(cam.status)));
  out.set("message", val(map_status_message(cam.status)));
  val layers = val::array();
  for (const LayerMap& lm : cam.layers) {
    val o = val::object();
    o.set("raw", copy_out(lm.raw));
    o.set("width", lm.width);
    o.set("height", lm.height);
    o.set("rawMin", lm.raw_min);
    o.set("rawMax", lm.raw_max);
    o.set("status", val(map_status_name(lm.status)));
    layers.call<void>("push", o);
  }
  out.set("layers", layers);
  return out;
}

// camMethods() -> [{id, label, description, reference, needsGradients,
//                  target: 'class' | 'finer' | 'channel_scores' | 'ablation_drops'}]
// from the registry.
val cam_methods_js() {
  val list = val::array();
  for (const CamMethodInfo& info : cam_method_registry()) {
    val o = val::object();
    o.set("id", val(info.id));
    o.set("label", val(info.label));
    o.set("description", val(info.description));
    o.set("reference", val(info.reference));
    o.set("needsGradients", info.needs_gradients);
    o.set("target", val(info.target == Target::kFinerComparison ? "finer"
                        : info.target == Target::kChannelScores ? "channel_scores"
                        : info.target == Target::kAblationDrops ? "ablation_drops"
                                                                : "class"));
    list.call<void>("push", o);
  }
  return list;
}

// computeCam({method, eigenSmooth, classIndex, outputWidth, outputHeight,
//   runs: [{flipped, layers: [{activations, gradients, gradientsPerChannel, channelValues, shape, layout}]}]})
//   -> {map: Float32Array, width, height, status, message, layers: [{raw, width, height, rawMin, rawMax, status}]}
val compute_cam_js(val js_options) {
  auto call = read_cam_call(js_options, {"runs"});
  if (!call) return make_js_error(call.error());
  auto runs = read_runs(js_options["runs"]);
  if (!runs) return make_js_error(runs.error());
  auto cam = compute_stored(runs.value(), call.value(), {});
  if (!cam) return make_js_error(cam.error());
  return cam_to_js(cam.value());
}

// factorizeFeatures({layer: {activations, shape, layout}, concepts, outputWidth, outputHeight})
//   -> {concepts, maps: Float32Array (concepts x outputHeight x outputWidth, each resized bilinearly as a CAM map
//   is, in [0, 1]), layerMaps: Float32Array (concepts x the layer's positions), layerWidth, layerHeight,
//   embeddings: Float32Array (concepts x channels), sweeps, relativeError}. See feature_factorization.h.
val factorize_features_js(val js_options) {
  OptionReader reader(js_options, {"layer", "concepts", "outputWidth", "outputHeight"});
  int concepts = 0, output_width = 0, output_height = 0;
  reader.integer("concepts", &concepts);
  reader.integer("outputWidth", &output_width);
  reader.integer("outputHeight", &output_height);
  if (!reader.error().empty()) return make_js_error(Error{ErrorCode::kInvalidArgument, reader.error()});
  if (output_width < 1 || output_height < 1 || output_width > 4096 || output_height > 4096) {
    return make_js_error(Error{ErrorCode::kInvalidArgument, "The output size must be 1 to 4096 on each side."});
  }
  auto layer = read_layer(js_options["layer"]);
  if (!layer) return make_js_error(layer.error());
  const StoredLayer& stored = layer.value();
  const int positions = stored.height * stored.width;
  std::vector<float> channel_major = stored.activations;
  if (stored.layout == TensorLayout::kNHWC) {
    for (int i = 0; i < positions; ++i) {
      for (int c = 0; c < stored.channels; ++c) {
        channel_major[static_cast<size_t>(c) * positions + i] =
            stored.activations[static_cast<size_t>(i) * stored.channels + c];
      }
    }
  }
  for (float v : channel_major) {
    if (!std::isfinite(v))
      return make_js_error(Error{ErrorCode::kInvalidArgument, "The activations are not all finite."});
  }
  auto factorized = factorize_features(channel_major, stored.channels, positions, concepts);
  if (!factorized) return make_js_error(factorized.error());
  const FeatureFactorization& f = factorized.value();
  std::vector<float> maps, layer_maps(f.maps.begin(), f.maps.end());
  maps.reserve(static_cast<size_t>(f.concepts) * output_width * output_height);
  for (int j = 0; j < f.concepts; ++j) {
    const std::vector<float> resized = resize_map_bilinear(&layer_maps[static_cast<size_t>(j) * positions],
                                                           stored.width, stored.height, output_width, output_height);
    for (float v : resized) maps.push_back(std::clamp(v, 0.0f, 1.0f));
  }
  val out = val::object();
  out.set("concepts", f.concepts);
  out.set("maps", copy_out(maps));
  out.set("layerMaps", copy_out(layer_maps));
  out.set("layerWidth", stored.width);
  out.set("layerHeight", stored.height);
  out.set("embeddings", copy_out(std::vector<float>(f.embeddings.begin(), f.embeddings.end())));
  out.set("sweeps", f.sweeps);
  out.set("relativeError", f.relative_error);
  return out;
}

}  // namespace dermcam::js

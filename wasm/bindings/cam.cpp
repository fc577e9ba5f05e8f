// Class activation maps: camMethods (the registry) and computeCam (one target layer's activations and what the
// method weights them by, for one or more runs: flips for aug_smooth).
#include "../cam.h"

#include <algorithm>
#include <string>
#include <vector>

#include "../cam_methods.h"
#include "calls.h"
#include "js_values.h"

namespace dermcam::js {
namespace {

// One target layer as the explain graph returns it: activations [1, C, h, w] (NCHW) or [1, h, w, C] (NHWC),
// gradients [K, ...same] for K classes, or with `gradientsPerChannel` [K, C]: one value per channel, the same at
// every position (a global average pool's gradient), spread here over the positions of the explained class only;
// `channelValues` [C] for a method that weights channels by its own model runs (Score-CAM, Ablation-CAM). The
// wasm copies live in `storage` for the duration of the call.
struct LayerStorage {
  std::vector<float> activations;
  std::vector<float> gradients;
  std::vector<float> channel_values;
};

Result<LayerInput> read_layer(const val& js, int class_index, const CamMethodInfo& method, LayerStorage& storage) {
  const bool needs_gradients = method.needs_gradients;
  OptionReader reader(js, {"activations", "gradients", "gradientsPerChannel", "channelValues", "shape", "layout"});
  TensorLayout layout = TensorLayout::kNCHW;
  bool per_channel = false;
  reader.choice<TensorLayout>("layout", {{"NCHW", TensorLayout::kNCHW}, {"NHWC", TensorLayout::kNHWC}}, &layout);
  reader.boolean("gradientsPerChannel", &per_channel);
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
  LayerInput layer;
  layer.layout = layout;
  layer.channels = layout == TensorLayout::kNCHW ? dims[1] : dims[3];
  layer.height = layout == TensorLayout::kNCHW ? dims[2] : dims[1];
  layer.width = layout == TensorLayout::kNCHW ? dims[3] : dims[2];
  const double elements = static_cast<double>(layer.channels) * layer.height * layer.width;
  if (elements > static_cast<double>(kMaxLayerElements)) {
    return Error{ErrorCode::kInvalidArgument, "The target layer is too large."};
  }
  auto activations = read_floats(js["activations"], "A layer's 'activations'");
  if (!activations) return activations.error();
  storage.activations = std::move(activations).value();
  if (static_cast<double>(storage.activations.size()) != elements) {
    return Error{ErrorCode::kInvalidArgument, "A layer's activations do not match its shape."};
  }
  layer.activations = storage.activations.data();
  const val js_gradients = js["gradients"];
  if (!js_gradients.isUndefined() && !js_gradients.isNull()) {
    auto gradients = read_floats(js_gradients, "A layer's 'gradients'");
    if (!gradients) return gradients.error();
    storage.gradients = std::move(gradients).value();
    const size_t per_class = per_channel ? static_cast<size_t>(layer.channels) : storage.activations.size();
    if (storage.gradients.empty() || storage.gradients.size() % per_class != 0) {
      return Error{ErrorCode::kInvalidArgument,
                   per_channel ? "A layer's per-channel gradients must be K x its channel count."
                               : "A layer's gradients must be K copies of its activations' shape."};
    }
    const size_t classes = storage.gradients.size() / per_class;
    if (class_index < 0 || static_cast<size_t>(class_index) >= classes) {
      return Error{ErrorCode::kInvalidArgument, "'classIndex' " + std::to_string(class_index) + " is outside the " +
                                                    std::to_string(classes) + " explained classes."};
    }
    if (per_channel) {
      const float* values = storage.gradients.data() + per_class * class_index;
      const size_t positions = static_cast<size_t>(layer.height) * layer.width;
      std::vector<float> spread(storage.activations.size());
      for (size_t c = 0; c < per_class; ++c) {
        for (size_t p = 0; p < positions; ++p) {
          spread[layout == TensorLayout::kNCHW ? c * positions + p : p * per_class + c] = values[c];
        }
      }
      storage.gradients = std::move(spread);
      layer.gradients = storage.gradients.data();
    } else {
      layer.gradients = storage.gradients.data() + per_class * class_index;
    }
  } else if (needs_gradients) {
    return Error{ErrorCode::kInvalidArgument, "This method needs gradients; the layer has none."};
  }
  const val js_values = js["channelValues"];
  if (!js_values.isUndefined() && !js_values.isNull()) {
    auto values = read_floats(js_values, "A layer's 'channelValues'");
    if (!values) return values.error();
    storage.channel_values = std::move(values).value();
    if (storage.channel_values.size() != static_cast<size_t>(layer.channels)) {
      return Error{ErrorCode::kInvalidArgument, "A layer's 'channelValues' must hold one value per channel."};
    }
    layer.channel_values = storage.channel_values.data();
  } else if (reads_channel_values(method.target)) {
    return Error{ErrorCode::kInvalidArgument,
                 "This method needs a value per channel ('channelValues'); the layer has none."};
  }
  return layer;
}

}  // namespace

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
  OptionReader reader(js_options, {"method", "eigenSmooth", "classIndex", "outputWidth", "outputHeight", "runs"});
  CamOptions options;
  int class_index = 0;
  reader.boolean("eigenSmooth", &options.eigen_smooth);
  reader.integer("classIndex", &class_index);
  reader.integer("outputWidth", &options.output_width);
  reader.integer("outputHeight", &options.output_height);
  if (!reader.error().empty()) return make_js_error({ErrorCode::kInvalidArgument, reader.error()});
  const val js_method = js_options["method"];
  const CamMethodInfo* method = js_method.isString() ? find_cam_method(js_method.as<std::string>()) : nullptr;
  if (method == nullptr) {
    std::string ids;
    for (const CamMethodInfo& info : cam_method_registry()) ids += (ids.empty() ? "" : ", ") + std::string(info.id);
    return make_js_error({ErrorCode::kInvalidArgument, "Option 'method' must be one of " + ids + "."});
  }
  options.method = method->id;

  const val js_runs = js_options["runs"];
  if (!val::global("Array").call<bool>("isArray", js_runs)) {
    return make_js_error({ErrorCode::kInvalidArgument, "Option 'runs' must be an array."});
  }
  const int run_count = js_runs["length"].as<int>();
  if (run_count < 1 || run_count > kMaxCamRuns) {
    return make_js_error(
        {ErrorCode::kInvalidArgument, "'runs' must hold 1 to " + std::to_string(kMaxCamRuns) + " runs."});
  }
  std::vector<std::vector<LayerStorage>> storage(run_count);
  std::vector<CamRun> runs(run_count);
  for (int r = 0; r < run_count; ++r) {
    const val js_run = js_runs[r];
    OptionReader run_reader(js_run, {"flipped", "layers"});
    run_reader.boolean("flipped", &runs[r].flipped);
    if (!run_reader.error().empty()) return make_js_error({ErrorCode::kInvalidArgument, run_reader.error()});
    const val js_layers = js_run["layers"];
    if (!val::global("Array").call<bool>("isArray", js_layers) || js_layers["length"].as<int>() < 1 ||
        js_layers["length"].as<int>() > kMaxCamLayers) {
      return make_js_error({ErrorCode::kInvalidArgument,
                            "Each run needs 'layers': 1 to " + std::to_string(kMaxCamLayers) + " target layers."});
    }
    const int layer_count = js_layers["length"].as<int>();
    storage[r].resize(layer_count);
    for (int l = 0; l < layer_count; ++l) {
      auto layer = read_layer(js_layers[l], class_index, *method, storage[r][l]);
      if (!layer) return make_js_error(layer.error());
      runs[r].layers.push_back(layer.value());
    }
  }

  auto result = compute_cam(runs, options);
  if (!result) return make_js_error(result.error());
  const CamResult& cam = result.value();
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

}  // namespace dermcam::js

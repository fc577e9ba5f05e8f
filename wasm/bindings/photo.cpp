// Photos: decodeImage, prepareImage (decode, EXIF, region, resize, normalise, display copy, quality measures) and
// qualityThresholdRanges. Options are read here; their ranges are the units' (decode.h, photo_quality.h).
#include <algorithm>
#include <string>
#include <vector>

#include "../decode.h"
#include "../photo_quality.h"
#include "../prepare.h"
#include "../preprocess.h"
#include "calls.h"
#include "js_values.h"
#include "photo_view.h"

namespace dermcam::js {
namespace {

Result<DecodeOptions> read_decode_options(OptionReader& reader) {
  DecodeOptions options;
  double max_pixels = static_cast<double>(options.max_pixels);
  reader.number("maxPixels", &max_pixels);
  reader.boolean("applyExifOrientation", &options.apply_exif_orientation);
  if (!reader.error().empty()) return Error{ErrorCode::kInvalidArgument, reader.error()};
  if (max_pixels < 1 || max_pixels > static_cast<double>(kMaxPixelsLimit)) {
    return Error{ErrorCode::kInvalidArgument,
                 "Option 'maxPixels' must be between 1 and " + std::to_string(kMaxPixelsLimit) + "."};
  }
  options.max_pixels = static_cast<uint64_t>(max_pixels);
  return options;
}

// Option 'quality': thresholds overriding PhotoQualityThresholds' defaults, within their ranges (photo_quality.h).
Result<PhotoQualityThresholds> read_quality_thresholds(const val& js) {
  PhotoQualityThresholds t;
  std::set<std::string> names;
  for (const QualityThresholdRange& range : quality_threshold_ranges()) names.emplace(range.name);
  OptionReader reader(js, names);
  reader.integer("minSide", &t.min_side);
  reader.number("minSharpness", &t.min_sharpness);
  reader.number("minBrightLevel", &t.min_bright_level);
  reader.number("maxShadows", &t.max_shadows);
  reader.number("maxHighlights", &t.max_highlights);
  reader.number("maxSpotHighlights", &t.max_spot_highlights);
  reader.number("minColourfulness", &t.min_colourfulness);
  reader.number("maxColourNoise", &t.max_colour_noise);
  reader.number("minSpotSharpness", &t.min_spot_sharpness);
  reader.number("maxDarkLevel", &t.max_dark_level);
  reader.number("fadedDarkLevel", &t.faded_dark_level);
  if (!reader.error().empty()) return Error{ErrorCode::kInvalidArgument, "Option 'quality': " + reader.error()};
  return check_quality_thresholds(t);
}

// The region option [x, y, width, height] in upright photo pixels (preprocess.h); absent: the whole photo.
Result<Rect> read_region(const val& js_options) {
  const val v = js_options.isUndefined() || js_options.isNull() ? val::undefined() : js_options["region"];
  if (v.isUndefined() || v.isNull()) return Rect{};
  const bool ok = val::global("Array").call<bool>("isArray", v) && v["length"].as<int>() == 4;
  std::array<double, 4> n{};
  for (int i = 0; ok && i < 4; ++i) n[i] = v[i].isNumber() ? v[i].as<double>() : -1;
  if (!ok || n[0] < 0 || n[1] < 0 || n[2] < 1 || n[3] < 1 ||
      !std::all_of(n.begin(), n.end(), [](double d) { return d == std::floor(d) && d < 1e9; })) {
    return Error{ErrorCode::kInvalidArgument,
                 "Option 'region' must be [x, y, width, height] in whole pixels, "
                 "width and height at least 1."};
  }
  return Rect{n[0], n[1], n[0] + n[2], n[1] + n[3]};
}

// The photo to prepare: file bytes (JPEG, PNG, BMP: decoded by stb_image here) or pixels a browser decoded
// ({width, height, rgba}: WebP, AVIF, HEIC), the latter reported as format "browser-decoded".
Result<DecodedImage> read_photo(const val& input, const DecodeOptions& options) {
  if (!input.isUndefined() && !input.isNull() && input.hasOwnProperty("rgba")) {
    OptionReader reader(input, {"width", "height", "rgba"});
    int width = 0;
    int height = 0;
    reader.integer("width", &width);
    reader.integer("height", &height);
    if (!reader.error().empty()) return Error{ErrorCode::kInvalidArgument, reader.error()};
    auto rgba = read_bytes(input["rgba"]);
    if (!rgba) return rgba.error();
    auto rgb = rgb_from_rgba(rgba.value().data(), rgba.value().size(), width, height, options);
    if (!rgb) return rgb.error();
    DecodedImage d;
    d.image = std::move(rgb.value());
    d.stored_width = width;
    d.stored_height = height;
    d.channels = 4;
    return d;
  }
  auto bytes = read_bytes(input);
  if (!bytes) return bytes.error();
  return decode_image(bytes.value().data(), bytes.value().size(), options);
}

val photo_info_to_js(const DecodedImage& d) {
  val o = val::object();
  o.set("width", d.image.width);
  o.set("height", d.image.height);
  o.set("format", val(image_format_name(d.format)));
  o.set("storedWidth", d.stored_width);
  o.set("storedHeight", d.stored_height);
  o.set("exifOrientation", d.exif_orientation);
  o.set("bitsPerChannel", d.bits_per_channel);
  o.set("channels", d.channels);
  return o;
}

// {photoWidth, photoHeight, sharpness, contrast, meanLuminance, brightLevel, darkLevel, highlights, spotHighlights,
//  spotSharpness, spotContrast, shadows, colourfulness, colourNoise, issues: [{code, value, threshold}],
//  likelyCauses: [{code, value, threshold}]}
val issues_to_js(const std::vector<QualityIssue>& issues) {
  val out = val::array();
  for (const QualityIssue& issue : issues) {
    val i = val::object();
    i.set("code", val(quality_code_name(issue.code)));
    i.set("value", issue.value);
    i.set("threshold", issue.threshold);
    out.call<void>("push", i);
  }
  return out;
}

val quality_to_js(const PhotoQuality& q, const PhotoQualityThresholds& thresholds) {
  val o = val::object();
  o.set("photoWidth", q.photo_width);
  o.set("photoHeight", q.photo_height);
  o.set("sharpness", q.sharpness);
  o.set("contrast", q.contrast);
  o.set("meanLuminance", q.mean_luminance);
  o.set("brightLevel", q.bright_level);
  o.set("darkLevel", q.dark_level);
  o.set("highlights", q.highlights);
  o.set("spotHighlights", q.spot_highlights);
  o.set("spotSharpness", q.spot_sharpness);
  o.set("spotContrast", q.spot_contrast);
  o.set("shadows", q.shadows);
  o.set("colourfulness", q.colourfulness);
  o.set("colourNoise", q.colour_noise);
  o.set("issues", issues_to_js(judge_photo_quality(q, thresholds)));
  o.set("likelyCauses", issues_to_js(likely_quality_causes(q, thresholds)));
  return o;
}

}  // namespace

// decodeImage(bytes, {maxPixels, applyExifOrientation}) ->
//   {width, height, format, storedWidth, storedHeight, exifOrientation, bitsPerChannel, channels,
//    rgb: Uint8Array(width * height * 3)} | Error
val decode_image_js(val input, val js_options) {
  OptionReader reader(js_options, {"maxPixels", "applyExifOrientation"});
  auto options = read_decode_options(reader);
  if (!options) return make_js_error(options.error());
  auto bytes = read_bytes(input);
  if (!bytes) return make_js_error(bytes.error());
  auto decoded = decode_image(bytes.value().data(), bytes.value().size(), options.value());
  if (!decoded) return make_js_error(decoded.error());
  val out = photo_info_to_js(decoded.value());
  out.set("rgb", copy_out(decoded.value().image.pixels));
  return out;
}

// qualityThresholdRanges() -> [{name, min, max, integer, default}]: what an override of each threshold may be.
val quality_threshold_ranges_js() {
  val out = val::array();
  for (const QualityThresholdRange& range : quality_threshold_ranges()) {
    val r = val::object();
    r.set("name", val(range.name));
    r.set("min", val(range.min));
    r.set("max", val(range.max));
    r.set("integer", val(range.integer));
    r.set("default", val(range.default_value));
    out.call<void>("push", r);
  }
  return out;
}

// prepareImage(bytes | {width, height, rgba}, options) ->
//   {photo, tensor: {data, shape, layout}, display: {width, height, rgba}, shown (the region the display shows),
//    placement: {sourceRegion, tensorContent}, tensorToDisplay, quality (photo_quality.h, over the region the
//    model sees), view (with option view: true, a PhotoView handle holding the display copy)} | Error
val prepare_image_js(val input, val js_options) {
  OptionReader reader(
      js_options, {"maxPixels", "applyExifOrientation", "width", "height", "resize", "padColor", "scale", "mean", "std",
                   "layout", "filter", "maxDisplaySide", "quality", "region", "view"});
  auto decode_options = read_decode_options(reader);
  if (!decode_options) return make_js_error(decode_options.error());
  PreprocessOptions p;
  int max_display_side = kDefaultDisplaySide;
  bool keep_view = false;
  reader.boolean("view", &keep_view);
  reader.integer("width", &p.width);
  reader.integer("height", &p.height);
  reader.integer("maxDisplaySide", &max_display_side);
  reader.choice<ResizePolicy>("resize",
                              {{"stretch", ResizePolicy::kStretch},
                               {"center-crop", ResizePolicy::kCenterCrop},
                               {"letterbox", ResizePolicy::kLetterbox}},
                              &p.policy);
  reader.choice<PixelScale>("scale", {{"0-1", PixelScale::kUnit}, {"0-255", PixelScale::kByte}}, &p.scale);
  reader.choice<TensorLayout>("layout", {{"NCHW", TensorLayout::kNCHW}, {"NHWC", TensorLayout::kNHWC}}, &p.layout);
  reader.choice<ResampleFilter>(
      "filter",
      {{"triangle", ResampleFilter::kTriangle}, {"box", ResampleFilter::kBox}, {"cubic", ResampleFilter::kCubic}},
      &p.filter);
  reader.triple("padColor", 0, 255, &p.pad_color);
  reader.triple("mean", -1e6, 1e6, &p.mean);
  reader.triple("std", -1e6, 1e6, &p.std);
  if (!reader.error().empty()) return make_js_error({ErrorCode::kInvalidArgument, reader.error()});
  auto region = read_region(js_options);
  if (!region) return make_js_error(region.error());
  auto thresholds = read_quality_thresholds(js_options.isUndefined() || js_options.isNull() ? val::undefined()
                                                                                            : js_options["quality"]);
  if (!thresholds) return make_js_error(thresholds.error());
  // Refuse bad preprocessing options before spending time on decoding (the region needs the photo's size).
  if (auto planned = plan_placement(1, 1, p); !planned) return make_js_error(planned.error());
  p.region = region.value();

  auto decoded = read_photo(input, decode_options.value());
  if (!decoded) return make_js_error(decoded.error());
  auto prepared = prepare_photo(decoded.value().image, p, max_display_side);
  if (!prepared) return make_js_error(prepared.error());
  PreparedPhoto& result = prepared.value();

  const ModelTensor& t = result.tensor;
  val js_tensor = val::object();
  js_tensor.set("data", copy_out(t.data));
  val shape = val::array();
  for (int d : t.shape) shape.call<void>("push", d);
  js_tensor.set("shape", shape);
  js_tensor.set("layout", val(t.layout == TensorLayout::kNCHW ? "NCHW" : "NHWC"));

  const RgbaImage& d = result.display;
  val js_display = val::object();
  js_display.set("width", d.width);
  js_display.set("height", d.height);
  js_display.set("rgba", copy_out_clamped(d.pixels));

  val js_placement = val::object();
  js_placement.set("sourceRegion", val(t.placement.source_region));
  js_placement.set("tensorContent", val(t.placement.tensor_content));

  val photo = photo_info_to_js(decoded.value());
  if (input.hasOwnProperty("rgba")) photo.set("format", val("browser-decoded"));
  val out = val::object();
  out.set("quality", quality_to_js(result.quality, thresholds.value()));
  out.set("photo", photo);
  out.set("shown", val(result.shown));
  out.set("tensor", js_tensor);
  out.set("display", js_display);
  out.set("placement", js_placement);
  out.set("tensorToDisplay", val(result.mapping));
  if (keep_view) out.set("view", val(PhotoView(std::move(result.display), t.placement.tensor_content, result.mapping)));
  return out;
}

}  // namespace dermcam::js

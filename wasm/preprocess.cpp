#include "preprocess.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace dermcam {
namespace {

Error invalid(const std::string& message) { return Error{ErrorCode::kInvalidArgument, message}; }

Result<bool> validate(const PreprocessOptions& o) {
  if (o.width < 1 || o.height < 1 || o.width > kMaxTensorSide || o.height > kMaxTensorSide) {
    return invalid("The tensor size must be between 1 and " + std::to_string(kMaxTensorSide) + " pixels per side.");
  }
  for (int c = 0; c < 3; ++c) {
    if (!std::isfinite(o.mean[c]) || !std::isfinite(o.std[c]) || o.std[c] == 0.0f) {
      return invalid("Normalisation needs finite mean values and finite, non-zero std values.");
    }
  }
  return true;
}

bool is_empty(const Rect& r) { return r.x0 == 0 && r.y0 == 0 && r.x1 == 0 && r.y1 == 0; }

std::string describe(const Rect& r) {
  auto n = [](double v) { return std::to_string(static_cast<long long>(v)); };
  return n(r.x0) + "," + n(r.y0) + " (" + n(r.width()) + " x " + n(r.height()) + ")";
}

}  // namespace

Result<Rect> resolve_region(int photo_width, int photo_height, const Rect& region) {
  if (photo_width < 1 || photo_height < 1) return invalid("The photo is empty.");
  if (is_empty(region)) return Rect{0, 0, static_cast<double>(photo_width), static_cast<double>(photo_height)};
  const bool whole = std::floor(region.x0) == region.x0 && std::floor(region.y0) == region.y0 &&
                     std::floor(region.x1) == region.x1 && std::floor(region.y1) == region.y1;
  if (!whole || !(region.x0 >= 0 && region.y0 >= 0 && region.x1 <= photo_width && region.y1 <= photo_height &&
                  region.width() >= 1 && region.height() >= 1)) {
    return Error{
        ErrorCode::kRegionOutsidePhoto,
        "The region " + describe(region) + " must be whole pixels inside the " + std::to_string(photo_width) + " x " +
            std::to_string(photo_height) + " photo.",
        {{"photoWidth", static_cast<double>(photo_width)}, {"photoHeight", static_cast<double>(photo_height)}}};
  }
  return region;
}

Result<Placement> plan_placement(int photo_width, int photo_height, const PreprocessOptions& options) {
  auto valid = validate(options);
  if (!valid) return valid.error();
  auto region = resolve_region(photo_width, photo_height, options.region);
  if (!region) return region.error();
  const Rect& r = region.value();
  const double w = r.width();
  const double h = r.height();
  const double tw = options.width;
  const double th = options.height;
  Placement p;
  p.source_region = r;
  p.tensor_content = {0, 0, tw, th};
  switch (options.policy) {
    case ResizePolicy::kStretch:
      break;
    case ResizePolicy::kCenterCrop: {
      const double scale = std::max(tw / w, th / h);
      const double region_w = std::min(w, tw / scale);
      const double region_h = std::min(h, th / scale);
      p.source_region = {r.x0 + (w - region_w) / 2, r.y0 + (h - region_h) / 2, r.x0 + (w + region_w) / 2,
                         r.y0 + (h + region_h) / 2};
      break;
    }
    case ResizePolicy::kLetterbox: {
      const double scale = std::min(tw / w, th / h);
      const int content_w = std::clamp(static_cast<int>(std::lround(w * scale)), 1, options.width);
      const int content_h = std::clamp(static_cast<int>(std::lround(h * scale)), 1, options.height);
      const int left = (options.width - content_w) / 2;
      const int top = (options.height - content_h) / 2;
      p.tensor_content = {static_cast<double>(left), static_cast<double>(top), static_cast<double>(left + content_w),
                          static_cast<double>(top + content_h)};
      break;
    }
  }
  return p;
}

Result<ModelTensor> make_model_tensor(const RgbImage& photo, const PreprocessOptions& options) {
  auto planned = plan_placement(photo.width, photo.height, options);
  if (!planned) return planned.error();
  const Placement& placement = planned.value();
  const Rect& content = placement.tensor_content;
  const int content_w = static_cast<int>(content.width());
  const int content_h = static_cast<int>(content.height());
  auto resized = resample(photo, placement.source_region, content_w, content_h, options.filter);
  if (!resized) return resized.error();
  const RgbImage& pixels = resized.value();

  // Per-channel table of the normalised value of every byte; pixels and padding share it.
  const float k = options.scale == PixelScale::kUnit ? 255.0f : 1.0f;
  std::array<std::array<float, 256>, 3> normalised{};
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) normalised[c][v] = (static_cast<float>(v) / k - options.mean[c]) / options.std[c];
  }

  ModelTensor t;
  t.layout = options.layout;
  t.placement = placement;
  const int w = options.width;
  const int h = options.height;
  const size_t plane = static_cast<size_t>(w) * h;
  t.shape = options.layout == TensorLayout::kNCHW ? std::array<int, 4>{1, 3, h, w} : std::array<int, 4>{1, h, w, 3};
  t.data.resize(plane * 3);
  const int left = static_cast<int>(content.x0);
  const int top = static_cast<int>(content.y0);
  for (int y = 0; y < h; ++y) {
    const bool row_inside = y >= top && y < top + content_h;
    for (int x = 0; x < w; ++x) {
      const bool inside = row_inside && x >= left && x < left + content_w;
      const uint8_t* rgb = inside ? pixels.pixel(x - left, y - top) : options.pad_color.data();
      const size_t at = static_cast<size_t>(y) * w + x;
      for (int c = 0; c < 3; ++c) {
        const size_t index = options.layout == TensorLayout::kNCHW ? c * plane + at : at * 3 + c;
        t.data[index] = normalised[c][rgb[c]];
      }
    }
  }
  return t;
}

Result<RgbaImage> make_display_image(const RgbImage& photo, int max_side, const Rect& region) {
  if (max_side < 16 || max_side > kMaxDisplaySide) {
    return invalid("The display size must be between 16 and " + std::to_string(kMaxDisplaySide) + " pixels.");
  }
  auto resolved = resolve_region(photo.width, photo.height, region);
  if (!resolved) return resolved.error();
  const Rect& r = resolved.value();
  const int region_w = static_cast<int>(r.width());
  const int region_h = static_cast<int>(r.height());
  const int longest = std::max(region_w, region_h);
  const double scale = std::min(1.0, static_cast<double>(max_side) / longest);
  const int w = std::max(1, static_cast<int>(std::lround(region_w * scale)));
  const int h = std::max(1, static_cast<int>(std::lround(region_h * scale)));
  const RgbImage* source = &photo;
  Result<RgbImage> resized = RgbImage{};
  if (w != photo.width || h != photo.height) {
    // Area averaging: antialiased like the tensor's filter, with half the taps for the big reductions here.
    // At scale 1 (a small region) the box filter copies pixels exactly.
    resized = resample(photo, r, w, h, ResampleFilter::kBox);
    if (!resized) return resized.error();
    source = &resized.value();
  }
  RgbaImage out;
  out.width = w;
  out.height = h;
  out.pixels.resize(static_cast<size_t>(w) * h * 4);
  const uint8_t* src = source->pixels.data();
  uint8_t* dst = out.pixels.data();
  for (size_t i = 0, n = static_cast<size_t>(w) * h; i < n; ++i, src += 3, dst += 4) {
    dst[0] = src[0];
    dst[1] = src[1];
    dst[2] = src[2];
    dst[3] = 255;
  }
  return out;
}

TensorToDisplay map_tensor_to_display(const Placement& placement, const Rect& shown, int display_width,
                                      int display_height) {
  const Rect& s = placement.source_region;
  const Rect& t = placement.tensor_content;
  const double photo_to_display_x = display_width / shown.width();
  const double photo_to_display_y = display_height / shown.height();
  // photo = s.x0 + (tensor - t.x0) * (s.width / t.width); display = (photo - shown.x0) * photo_to_display.
  TensorToDisplay m;
  m.scale_x = s.width() / t.width() * photo_to_display_x;
  m.scale_y = s.height() / t.height() * photo_to_display_y;
  m.offset_x = (s.x0 - shown.x0 - t.x0 * s.width() / t.width()) * photo_to_display_x;
  m.offset_y = (s.y0 - shown.y0 - t.y0 * s.height() / t.height()) * photo_to_display_y;
  return m;
}

TensorToDisplay map_tensor_to_display(const Placement& placement, int photo_width, int photo_height, int display_width,
                                      int display_height) {
  return map_tensor_to_display(placement,
                               Rect{0, 0, static_cast<double>(photo_width), static_cast<double>(photo_height)},
                               display_width, display_height);
}

}  // namespace dermcam

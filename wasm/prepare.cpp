#include "prepare.h"

namespace dermcam {

Result<PreparedPhoto> prepare_photo(const RgbImage& photo, const PreprocessOptions& options, int max_display_side) {
  auto shown = resolve_region(photo.width, photo.height, options.region);
  if (!shown) return shown.error();
  auto tensor = make_model_tensor(photo, options);
  if (!tensor) return tensor.error();
  auto display = make_display_image(photo, max_display_side, shown.value());
  if (!display) return display.error();
  PreparedPhoto out;
  out.tensor = std::move(tensor.value());
  out.display = std::move(display.value());
  out.shown = shown.value();
  out.mapping = map_tensor_to_display(out.tensor.placement, out.shown, out.display.width, out.display.height);
  // The checks run on the display copy (already made: no second pass over a 12 MP photo), in its coordinates.
  const Rect& s = out.tensor.placement.source_region;
  const Rect judged{s.x0 - out.shown.x0, s.y0 - out.shown.y0, s.x1 - out.shown.x0, s.y1 - out.shown.y0};
  auto quality = measure_region_on_display(out.display, static_cast<int>(out.shown.width()),
                                           static_cast<int>(out.shown.height()), judged);
  if (!quality) return quality.error();
  out.quality = quality.value();
  return out;
}

}  // namespace dermcam

// One photo, prepared for the model and for the page, in one pass: the model tensor (preprocess.h), the
// display copy of the same region, the mapping between them, and the photo checks (photo_quality.h) over the
// exact region the model sees. prepareImage() in wasm and the native tools call this, so they agree bit for bit.
//
// Failure: what make_model_tensor, make_display_image or measure_region_on_display refuse (kInvalidArgument for
// bad options or a region outside the photo); nothing is returned partially.
#pragma once

#include "photo_quality.h"
#include "preprocess.h"

namespace dermcam {

struct PreparedPhoto {
  ModelTensor tensor;
  RgbaImage display;        // the region (options.region, or the whole photo), longest side <= max_display_side
  Rect shown;               // that region, in photo pixels
  TensorToDisplay mapping;  // tensor coordinates -> display pixels
  PhotoQuality quality;     // over tensor.placement.source_region
};

Result<PreparedPhoto> prepare_photo(const RgbImage& photo, const PreprocessOptions& options,
                                    int max_display_side = kDefaultDisplaySide);

}  // namespace dermcam

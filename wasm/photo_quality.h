// Is this photo good enough to be judged? Focus, exposure and size, measured before any condition is named.
//
// Input: an upright RGB8 or RGBA8 image (in the app: the display copy, already made, so the gate costs no
// extra pass over a 12 MP photo) and the region of it the model sees (Placement::source_region mapped onto
// it), plus that region's size in the ORIGINAL photo's pixels (for too_small).
//
// Analysis scale: the region is area-averaged to luma (Rec. 709 weights 54/183/19 of 256 on the 8-bit values,
// 0-1) on a grid whose shorter side is kQualityAnalysisSide (longer side in proportion, at most 4x), so a 12 MP photo
// and a 128 px one are judged at the same scale: the scale of a typical classifier input, where blur finer than a grid
// cell cannot change what the model sees. The region is read on a lattice of at least two samples per grid cell along
// each axis (every pixel of a small photo, every 3rd of a 12 MP photo's display copy), and the exposure and colour
// fractions are counted on the same samples.
//
// Measures (all finite; a flat image has sharpness 0):
//   sharpness        RMS of the 4-neighbour Laplacian of the luma grid divided by (mean luma + 0.05): fine
//                    detail relative to the brightness (Weber contrast), so the same focus scores alike on
//                    light and dark skin (the raw Laplacian of type VI skin is 2.5x lower than type I's).
//                    Generated in-focus close-ups: median 0.14-0.18 for every Fitzpatrick type, 1st
//                    percentile 0.02-0.03; blurred with sigma 3 px at 128 px: median 0.007-0.014.
//   contrast         standard deviation of the luma grid.
//   mean_luminance   mean of the luma grid.
//   bright_level     the 95th percentile of the luma grid: how bright the brightest part is. A correctly
//                    exposed photo of the darkest skin keeps it above ~0.13; an underexposed one falls below.
//   highlights       fraction of samples whose three channels are all >= 235 (blown to white).
//   spot_highlights  the same fraction over the spot: the middle half of the region along each axis (a quarter
//                    of its area), where the framing square puts the lesion. A flash or lamp reflected off the
//                    lesion blows out its centre and little else: a glare ellipse over 2% of the frame is 7% of
//                    the spot (generated lesion photos of every type: 0 clipped in the spot, 120 of 120).
//   spot_sharpness   sharpness over the spot's grid cells only, relative to the spot's mean luma: the lesion's own
//                    focus, which a frame sharp elsewhere (skin texture, hair, a ruler) does not vouch for.
//   spot_contrast    |spot mean luma - the rest's mean luma| / (the rest's mean + 0.05): how much the lesion stands
//                    out from the skin around it (Weber contrast); low for a washed-out lesion or an empty frame.
//                    Reported, not judged: a faint lesion is still a lesion.
//   shadows          fraction of samples whose three channels are all <= 16 (crushed to black).
//   dark_level       the 1st percentile of the samples' smallest channel, 0-1: how dark the darkest part is (the
//                    black point). A photo whose blacks are lifted (washed out: haze on the lens, a bright lamp beside
//                    the camera, over-brightening) has nothing dark left, the lesion included. 4200 generated lesion
//                    photos (held-out and fitting sets) keep it at or below 0.68 (type I; type IV 0.35, type VI
//                    0.11); lifting the blacks by a fraction a of white sets it to at least a.
//   colourfulness    sum of (max - min channel) over sum of max channel, over the pixels that are not crushed
//                    black: 0 for a black-and-white photo. Skin of every tone has colour (generated photos:
//                    lowest 0.054 for type I, 0.18-0.47 for types II-VI), so a grey photo cannot be judged.
//   colour_noise     median over horizontally adjacent samples of |d(R - G)| + |d(B - G)|, / 255: grain in the
//                    colour, which skin of any tone does not have at this scale (generated photos with sensor
//                    noise: at most 0.047) and a photo taken in near darkness, or random noise, has (0.85).
//
// Refusal codes (judge_photo_quality), in this order, each with the measured value and the threshold:
//   too_small    min(original region width, height) < min_side
//   too_dark     bright_level < min_bright_level, or shadows > max_shadows
//   overexposed  highlights > max_highlights, unless the clipping is glare on the spot (below)
//   glare        spot_highlights > max_spot_highlights, when the clipping is concentrated there (spot_highlights >=
//                2 x highlights: at least half of the clipped samples in the spot) or the frame is not overexposed;
//                a frame blown out everywhere is overexposed, which says more
//   washed_out   dark_level > max_dark_level, when the photo is not too dark, overexposed or glaring: faded, with
//                little or no clipping. The default keeps every clean held-out generated lesion photo (pale skin
//                with a pale lesion is light all over; a fainter fade of it cannot be told from it by the photo
//                alone); `fit-gate --fit-quality` fits it from a model's own photos (its 'washedout' degradation).
//                A faded photo also loses colour and fine contrast, so no_colour, noisy and blurry are not judged
//                then: the patient is told the cause (the light or the lens), not its symptoms. Also washed_out
//                (with the threshold faded_dark_level): a photo faded past faded_dark_level whose frame is blurry
//                only because of the fade, its sharpness with the fade undone (unfaded_sharpness) passing
//                min_sharpness twice over; a genuinely blurred photo stays blurry (generated lesion photos: 95% of
//                the faded ones refused as blurry are named washed_out, 0.8-2.9% of the blurred ones, pale and
//                blurred no more than the model still reads)
//   no_colour    colourfulness < min_colourfulness (a black-and-white photo or scan)
//   noisy        colour_noise > max_colour_noise (grainy: far too little light, or not a photo)
//   blurry       sharpness < min_sharpness, or else spot_sharpness < min_spot_sharpness (the lesion itself out of
//                focus in a sharp frame). The default keeps every clean held-out generated lesion photo the other
//                checks keep (1800, lowest 0.0108) and refuses the spot alone blurred with sigma 2 px at 128 px in
//                67-93% of types I-IV, 40% of type V, 13% of type VI (15 photos each; Weber contrast lifts dark
//                skin's values); 0.018 would refuse 93-100% of I-V and 60% of VI but 0.5% of the clean photos.
//                `fit-gate --fit-quality` fits it from a model's own photos (its 'spotblur' degradation).
//                Only judged when the photo is not too dark, overexposed, glaring or washed out: crushed or clipped
//                pixels carry no detail, so the exposure code is the useful one
// The defaults are calibrated on generated lesion photos of all six Fitzpatrick types against degraded ones
// (models/demo/REPORT.md, "Photo gate"); model.json's gate.quality overrides any of them.
//
// Likely causes (likely_quality_causes): what probably spoiled a photo that no refusal code above names but that the
// model's own check refuses as unlike skin (web/js/gate.mjs then names the cause first, so the patient is told the
// fix, and keeps not_skin after it). Not a refusal: a photo the model accepts is accepted. In this order:
//   glare        spot_highlights > 0.002 with the clipping concentrated there (spot_highlights >= 2 x highlights):
//                a reflection on the lesion too small to refuse, which the model's check can still find foreign (a
//                white blob is no part of the skin it knows). Clean generated lesion photos have none clipped in the
//                spot; of the photos the demo model's check refuses, 0 of 7 unseen clean lesion photos, 1 of 16
//                non-skin photos and 3 of 162 close-ups of non-skin photos have it.
//   washed_out   dark_level > faded_dark_level: the blacks lifted past the fade at which the model stops reading
//                photos. Fading by a fraction a of white sets dark_level to at least a, so every photo faded that
//                far has it; of the photos the demo model's check refuses, 2 of 7 unseen clean lesion photos (pale
//                lesions), 0 of 16 non-skin photos and 5 of 162 close-ups of non-skin photos have it above 0.30.
//                `fit-gate --fit-quality` sets it to the model's own onset (its 'washedout' degradation).
//
// Thresholds: each has a range (quality_threshold_ranges(): the one table of them; model.json's gate.quality is
// checked against it in web/js/gate.mjs, tests/js/core.test.mjs compares the two); an override outside its range
// is refused by check_quality_thresholds.
//
// Failures: kInvalidArgument for an empty image, a region outside it or of zero size, or a photo size < 1.
// Native and WebAssembly builds give bit-identical measures (fixed summation order, no FMA contraction).
#pragma once

#include <cstdint>
#include <vector>

#include "error.h"
#include "image.h"
#include "resample.h"

namespace dermcam {

constexpr int kQualityAnalysisSide = 128;

struct PhotoQuality {
  int photo_width = 0;  // the judged region, in original photo pixels
  int photo_height = 0;
  int analysis_width = 0;
  int analysis_height = 0;
  double sharpness = 0;
  double contrast = 0;
  double mean_luminance = 0;
  double bright_level = 0;
  double dark_level = 0;
  double highlights = 0;
  double spot_highlights = 0;
  double spot_sharpness = 0;
  double spot_contrast = 0;
  double shadows = 0;
  double colourfulness = 0;
  double colour_noise = 0;
};

struct PhotoQualityThresholds {
  int min_side = 64;
  double min_sharpness = 0.018;
  double min_bright_level = 0.10;
  double max_shadows = 0.75;
  double max_highlights = 0.40;
  double max_spot_highlights = 0.03;
  double min_colourfulness = 0.03;
  double max_colour_noise = 0.25;
  double min_spot_sharpness = 0.010;
  double max_dark_level = 0.70;
  double faded_dark_level = 0.30;  // past it a blur or a refusal as not skin is put down to a fade (above)
};

// The range of one threshold, by its name in JS and model.json (gate.quality).
struct QualityThresholdRange {
  const char* name;  // "minSide", "minSharpness", ...
  double min;
  double max;
  bool integer;
  double default_value;  // PhotoQualityThresholds' default
};

// Every threshold's range and default, in PhotoQualityThresholds' order:
//   minSide 1-4096 (an integer), minSharpness 0-10, minBrightLevel, maxShadows, maxHighlights, maxSpotHighlights,
//   minColourfulness 0-1 (fractions and levels), maxColourNoise 0-4, minSpotSharpness 0-10, maxDarkLevel 0-1,
//   fadedDarkLevel 0-1.
const std::vector<QualityThresholdRange>& quality_threshold_ranges();

// The thresholds when each is within its range; kInvalidArgument naming the first that is not.
Result<PhotoQualityThresholds> check_quality_thresholds(const PhotoQualityThresholds& thresholds);

enum class QualityCode { kTooSmall, kTooDark, kOverexposed, kGlare, kWashedOut, kNoColour, kNoisy, kBlurry };

// "too_small", "too_dark", "overexposed", "glare", "washed_out", "no_colour", "noisy", "blurry"
const char* quality_code_name(QualityCode code);

struct QualityIssue {
  QualityCode code;
  double value;      // the measure that failed
  double threshold;  // the threshold it failed against
};

// `pixels` is width * height * channels bytes (channels 3 = RGB, 4 = RGBA; alpha is ignored).
Result<PhotoQuality> measure_photo_quality(const uint8_t* pixels, int width, int height, int channels,
                                           const Rect& region, int photo_width, int photo_height);

// What prepareImage() reports: `region` (in photo pixels, e.g. Placement::source_region) judged on the display
// copy of that photo (make_display_image), mapped onto it; the original size comes from the region itself.
Result<PhotoQuality> measure_region_on_display(const RgbaImage& display, int photo_width, int photo_height,
                                               const Rect& region);

// The frame's sharpness with a fade undone, the black point (dark_level) standing in for the fade's fraction of white:
// what the photo's focus would measure without the haze. A fade by a raises the black point to at least a, so where
// the darkest part was not black this errs towards sharp (a lesion at half of type VI skin's brightness, faded by
// 0.4: 1.3x the clean photo's sharpness), which the judge's margin of 2 allows for.
double unfaded_sharpness(const PhotoQuality& quality);

// Empty when the photo can be judged.
std::vector<QualityIssue> judge_photo_quality(const PhotoQuality& quality, const PhotoQualityThresholds& thresholds);

// The likely causes (above), each with its measure and the level it passed; empty when none. Whether the photo is
// refused is judge_photo_quality's and the model's to say: these only name why, when the model's check refuses.
std::vector<QualityIssue> likely_quality_causes(const PhotoQuality& quality, const PhotoQualityThresholds& thresholds);

}  // namespace dermcam

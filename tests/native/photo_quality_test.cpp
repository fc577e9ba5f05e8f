#include "photo_quality.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "preprocess.h"

namespace dermcam {
namespace {

// An RGB image whose pixel (x, y) is base colour * (1 + texture(x, y)), clamped to 0-255.
RgbImage textured(int w, int h, std::array<double, 3> base, const std::function<double(double, double)>& texture) {
  RgbImage img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const double t = texture((x + 0.5) / w, (y + 0.5) / h);
      for (int c = 0; c < 3; ++c) {
        img.pixels[(static_cast<size_t>(y) * w + x) * 3 + c] =
            static_cast<uint8_t>(std::clamp(std::lround(base[c] * (1 + t)), 0L, 255L));
      }
    }
  }
  return img;
}

// Skin-like fine texture: a few incommensurate sinusoids, ~16 cycles across the frame at the finest.
double skin_texture(double u, double v) {
  return 0.15 * std::sin(2 * M_PI * 16 * u) * std::sin(2 * M_PI * 13 * v) + 0.1 * std::sin(2 * M_PI * (7 * u + 5 * v));
}

PhotoQuality measure(const RgbImage& img) {
  auto q = measure_photo_quality(img.pixels.data(), img.width, img.height, 3,
                                 {0, 0, static_cast<double>(img.width), static_cast<double>(img.height)}, img.width,
                                 img.height);
  EXPECT_TRUE(q.ok()) << (q.ok() ? "" : q.error().message);
  return q.ok() ? q.value() : PhotoQuality{};
}

std::vector<std::string> codes(const PhotoQuality& q, const PhotoQualityThresholds& t = {}) {
  std::vector<std::string> out;
  for (const QualityIssue& issue : judge_photo_quality(q, t)) out.push_back(quality_code_name(issue.code));
  return out;
}

constexpr std::array<double, 3> kTypeI = {241, 212, 190};
constexpr std::array<double, 3> kTypeVI = {70, 46, 32};
constexpr std::array<double, 3> kTypeIII = {200, 150, 120};

TEST(PhotoQuality, FlatGreyImageHasNoDetailAndNoColour) {
  const PhotoQuality q = measure(textured(200, 150, {128, 128, 128}, [](double, double) { return 0.0; }));
  EXPECT_NEAR(q.sharpness, 0.0, 1e-9);  // area weights sum to 1 within rounding
  EXPECT_NEAR(q.contrast, 0.0, 1e-9);
  EXPECT_NEAR(q.mean_luminance, 128 / 255.0, 1e-12);
  EXPECT_NEAR(q.bright_level, 128 / 255.0, 1e-12);
  EXPECT_EQ(q.highlights, 0.0);
  EXPECT_EQ(q.shadows, 0.0);
  EXPECT_EQ(q.colourfulness, 0.0);
  EXPECT_EQ(codes(q), (std::vector<std::string>{"no_colour", "blurry"}));
}

TEST(PhotoQuality, ABlackAndWhitePhotoHasNoColourSkinOfEveryToneHas) {
  const PhotoQuality grey = measure(textured(300, 300, {150, 150, 150}, skin_texture));
  EXPECT_EQ(grey.colourfulness, 0.0);
  EXPECT_EQ(codes(grey), std::vector<std::string>{"no_colour"});
  // (max - min) / max of the base colour: 51 / 241 for type I, 38 / 70 for type VI.
  EXPECT_NEAR(measure(textured(300, 300, kTypeI, [](double, double) { return 0.0; })).colourfulness, 51.0 / 241, 1e-12);
  EXPECT_NEAR(measure(textured(300, 300, kTypeVI, [](double, double) { return 0.0; })).colourfulness, 38.0 / 70, 1e-12);
  PhotoQualityThresholds off;
  off.min_colourfulness = 0;
  EXPECT_TRUE(codes(grey, off).empty());
}

TEST(PhotoQuality, TexturedSkinOfEveryToneIsAcceptedAndScoresAlike) {
  const PhotoQuality light = measure(textured(512, 512, kTypeI, skin_texture));
  const PhotoQuality dark = measure(textured(512, 512, kTypeVI, skin_texture));
  EXPECT_TRUE(codes(light).empty());
  EXPECT_TRUE(codes(dark).empty());
  // Weber normalisation: the same focus scores within 25% on type I and type VI skin (the raw Laplacian
  // differs 3.5x between them).
  EXPECT_NEAR(dark.sharpness / light.sharpness, 1.0, 0.25) << light.sharpness << " vs " << dark.sharpness;
}

TEST(PhotoQuality, SharpnessDoesNotDependOnResolution) {
  const PhotoQuality small = measure(textured(256, 256, {200, 150, 120}, skin_texture));
  const PhotoQuality large = measure(textured(2048, 2048, {200, 150, 120}, skin_texture));
  EXPECT_EQ(small.analysis_width, kQualityAnalysisSide);
  EXPECT_EQ(large.analysis_width, kQualityAnalysisSide);
  EXPECT_NEAR(large.sharpness / small.sharpness, 1.0, 0.05);
  EXPECT_NEAR(large.mean_luminance, small.mean_luminance, 0.005);
}

TEST(PhotoQuality, BlurLowersSharpnessUntilRefused) {
  // Texture at ~40 cycles across the frame, then "defocused" by shrinking its amplitude as a Gaussian blur of
  // sigma s (pixels at the 128 px analysis scale) would: exp(-2 pi^2 s^2 f^2), f in cycles per pixel.
  double previous = 1e9;
  for (double sigma : {0.0, 0.5, 1.0, 2.0, 3.0}) {
    const double f = 40.0 / kQualityAnalysisSide;
    const double gain = std::exp(-2 * M_PI * M_PI * sigma * sigma * f * f);
    const PhotoQuality q = measure(textured(512, 512, {200, 150, 120}, [gain](double u, double v) {
      return gain * 0.2 * std::sin(2 * M_PI * 40 * u) * std::sin(2 * M_PI * 40 * v) + 0.1 * std::sin(2 * M_PI * u);
    }));
    EXPECT_LT(q.sharpness, previous) << sigma;
    previous = q.sharpness;
    const std::vector<std::string> verdict = codes(q);
    if (sigma <= 0.5) EXPECT_TRUE(verdict.empty()) << sigma << ": " << q.sharpness;
    if (sigma >= 2.0) EXPECT_EQ(verdict, std::vector<std::string>{"blurry"}) << sigma << ": " << q.sharpness;
  }
}

// Skin texture everywhere, with the spot (the middle half) defocused by `gain` and holding a darker lesion of
// `lesion` times the skin's brightness.
RgbImage spot_blurred(double gain, double lesion = 1.0) {
  return textured(512, 512, {200, 150, 120}, [gain, lesion](double u, double v) {
    const bool spot = u > 0.25 && u < 0.75 && v > 0.25 && v < 0.75;
    const double detail = 0.2 * std::sin(2 * M_PI * 40 * u) * std::sin(2 * M_PI * 40 * v);
    return spot ? lesion - 1 + lesion * gain * detail : detail;
  });
}

TEST(PhotoQuality, ABlurredSpotInASharpFrameIsBlurryWithTheSpotsValue) {
  const PhotoQuality sharp = measure(spot_blurred(1.0));
  EXPECT_TRUE(codes(sharp).empty()) << sharp.spot_sharpness;
  EXPECT_NEAR(sharp.spot_sharpness, sharp.sharpness, 0.25 * sharp.sharpness);
  // The detail of a Gaussian blur of sigma 2 px at the analysis scale, in the spot only: the frame stays sharp.
  const double f = 40.0 / kQualityAnalysisSide;
  const PhotoQuality blurred = measure(spot_blurred(std::exp(-2 * M_PI * M_PI * 4 * f * f)));
  const PhotoQualityThresholds defaults;
  EXPECT_GT(blurred.sharpness, defaults.min_sharpness);
  EXPECT_LT(blurred.spot_sharpness, defaults.min_spot_sharpness);
  const std::vector<QualityIssue> issues = judge_photo_quality(blurred, defaults);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].code, QualityCode::kBlurry);
  EXPECT_EQ(issues[0].value, blurred.spot_sharpness);
  EXPECT_EQ(issues[0].threshold, defaults.min_spot_sharpness);
  // A threshold of 0 turns the spot's judgement off.
  PhotoQualityThresholds off;
  off.min_spot_sharpness = 0;
  EXPECT_TRUE(codes(blurred, off).empty());
}

TEST(PhotoQuality, SpotContrastIsHowMuchTheLesionStandsOut) {
  const PhotoQuality plain = measure(spot_blurred(1.0, 1.0));
  const PhotoQuality dark = measure(spot_blurred(1.0, 0.5));
  const PhotoQuality faint = measure(spot_blurred(1.0, 0.85));
  EXPECT_LT(plain.spot_contrast, 0.02);
  // The spot at half the skin's brightness: |0.5 m - m| / (m + 0.05) with m the skin's mean luma.
  const double m = plain.mean_luminance;
  EXPECT_NEAR(dark.spot_contrast, 0.5 * m / (m + 0.05), 0.03);
  EXPECT_GT(dark.spot_contrast, faint.spot_contrast);
  EXPECT_GT(faint.spot_contrast, plain.spot_contrast);
}

TEST(PhotoQuality, DarkAndBlownOutPhotosGetTheExposureCodeNotBlurry) {
  const PhotoQuality black = measure(textured(300, 300, {3, 3, 3}, skin_texture));
  EXPECT_LT(black.bright_level, 0.02);
  EXPECT_GT(black.shadows, 0.99);
  EXPECT_EQ(codes(black), std::vector<std::string>{"too_dark"});
  // Type VI skin, correctly exposed, is not "too dark".
  EXPECT_TRUE(codes(measure(textured(300, 300, kTypeVI, skin_texture))).empty());
  // Underexposed by 3.6 stops: type I skin at x0.08.
  const std::array<double, 3> dim = {kTypeI[0] * 0.08, kTypeI[1] * 0.08, kTypeI[2] * 0.08};
  EXPECT_EQ(codes(measure(textured(300, 300, dim, skin_texture))), std::vector<std::string>{"too_dark"});

  const PhotoQuality white =
      measure(textured(300, 300, {255, 255, 255}, [](double u, double) { return u < 0.2 ? -0.5 : 0.0; }));
  EXPECT_NEAR(white.highlights, 0.8, 0.01);
  EXPECT_EQ(codes(white), std::vector<std::string>{"overexposed"});
}

// `image` with its blacks lifted: each channel v -> lift * 255 + (1 - lift) * v (haze on the lens, over-brightening).
RgbImage washed(RgbImage image, double lift) {
  for (uint8_t& v : image.pixels) v = static_cast<uint8_t>(std::lround(lift * 255 + (1 - lift) * v));
  return image;
}

// A lesion at half the skin's brightness on skin of one tone.
RgbImage lesion_on(std::array<double, 3> skin) {
  return textured(400, 300, skin, [](double u, double v) {
    return skin_texture(u, v) + (std::hypot((u - 0.5) * 4, (v - 0.5) * 3) < 0.45 ? -0.5 : 0.0);
  });
}

TEST(PhotoQuality, DarkLevelIsTheBlackPoint) {
  // A frame 2% black: the 1st percentile of the smallest channel is 0; at 0.5% black it is the skin's blue.
  const auto with_black = [](double fraction) {
    return textured(200, 200, {200, 150, 120}, [fraction](double u, double) { return u < fraction ? -1.0 : 0.0; });
  };
  EXPECT_EQ(measure(with_black(0.02)).dark_level, 0.0);
  EXPECT_NEAR(measure(with_black(0.005)).dark_level, 120 / 255.0, 1e-12);
  // Lifting the blacks by a fraction a of white raises the black point to at least a.
  for (double lift : {0.3, 0.5, 0.8}) EXPECT_GE(measure(washed(lesion_on(kTypeVI), lift)).dark_level, lift - 0.005);
}

TEST(PhotoQuality, AWashedOutPhotoIsToldSoNotBlurryOrColourless) {
  for (const auto& skin : {kTypeIII, kTypeVI}) {
    const PhotoQuality clean = measure(lesion_on(skin));
    EXPECT_TRUE(codes(clean).empty());
    EXPECT_LT(clean.dark_level, 0.66);
    // Faded to 75% white: little left of the colour and the detail, nothing clipped; the cause is named, alone.
    const PhotoQuality faded = measure(washed(lesion_on(skin), 0.75));
    EXPECT_LT(faded.highlights, 0.01);
    EXPECT_GT(faded.dark_level, PhotoQualityThresholds{}.max_dark_level);
    EXPECT_EQ(codes(faded), std::vector<std::string>{"washed_out"});
    const auto issues = judge_photo_quality(faded, {});
    EXPECT_EQ(issues[0].value, faded.dark_level);
    // Without the code, its symptoms would be what the patient is told.
    PhotoQualityThresholds lenient;
    lenient.max_dark_level = 1;
    EXPECT_FALSE(codes(faded, lenient).empty());
  }
  // A milder fade of dark skin lifts its blacks only as high as a pale, faint lesion's, below max_dark_level (which
  // keeps every clean photo). Its frame measures blurry, but with the fade undone it is at least as sharp as the clean
  // photo: the cause is named, against faded_dark_level.
  const PhotoQuality clean = measure(lesion_on(kTypeVI));
  const PhotoQuality milder = measure(washed(lesion_on(kTypeVI), 0.4));
  EXPECT_LT(milder.dark_level, PhotoQualityThresholds{}.max_dark_level);
  EXPECT_LT(milder.sharpness, PhotoQualityThresholds{}.min_sharpness);
  // (The black point overstates the fade when the darkest part was not black, so undoing it errs towards sharp.)
  EXPECT_GE(unfaded_sharpness(milder), clean.sharpness);
  EXPECT_LT(unfaded_sharpness(milder), 1.5 * clean.sharpness);
  const auto named = judge_photo_quality(milder, {});
  ASSERT_EQ(named.size(), 1u);
  EXPECT_EQ(quality_code_name(named[0].code), std::string("washed_out"));
  EXPECT_EQ(named[0].threshold, PhotoQualityThresholds{}.faded_dark_level);
  // A model that reads fades up to half white is told the symptom; one whose max_dark_level is fitted that low
  // refuses the fade in its own right.
  PhotoQualityThresholds tolerant;
  tolerant.faded_dark_level = 0.5;
  EXPECT_EQ(codes(milder, tolerant), std::vector<std::string>{"blurry"});
  PhotoQualityThresholds fitted;
  fitted.max_dark_level = 0.3;
  EXPECT_EQ(codes(milder, fitted), std::vector<std::string>{"washed_out"});
  // Defocused as well as faded: undone, the fade leaves it blurry, which it stays.
  const PhotoQuality both = measure(washed(textured(400, 300, kTypeVI,
                                                    [](double u, double v) {
                                                      const double r = std::hypot((u - 0.5) * 4, (v - 0.5) * 3);
                                                      return 0.05 * skin_texture(u, v) - 0.5 * std::exp(-r * r);
                                                    }),
                                           0.4));
  EXPECT_GT(both.dark_level, PhotoQualityThresholds{}.faded_dark_level);
  EXPECT_LT(unfaded_sharpness(both), 2 * PhotoQualityThresholds{}.min_sharpness);
  EXPECT_EQ(codes(both), std::vector<std::string>{"blurry"});
  // A blown-out frame (clipped) stays overexposed, which says more.
  const PhotoQuality white =
      measure(textured(300, 300, {255, 255, 255}, [](double u, double) { return u < 0.2 ? -0.5 : 0.0; }));
  EXPECT_EQ(codes(white), std::vector<std::string>{"overexposed"});
}

TEST(PhotoQuality, AFadePastTheModelsOnsetIsTheLikelyCauseNotARefusal) {
  // Clean lesion photos of fair and dark skin: no likely cause.
  for (const auto& skin : {kTypeIII, kTypeVI}) EXPECT_TRUE(likely_quality_causes(measure(lesion_on(skin)), {}).empty());
  // Dark skin faded by a third of white: no refusal code names it (its blacks are no higher than a pale lesion's),
  // yet it is faded past the default's 0.30; the cause comes with its measure and the level.
  const PhotoQuality faded = measure(washed(lesion_on(kTypeVI), 1.0 / 3));
  EXPECT_TRUE(codes(faded).empty());
  const auto causes = likely_quality_causes(faded, {});
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(quality_code_name(causes[0].code), std::string("washed_out"));
  EXPECT_EQ(causes[0].value, faded.dark_level);
  EXPECT_EQ(causes[0].threshold, 0.30);
  // A model that reads fades up to 0.4 (its fitted level) does not call this one a cause.
  PhotoQualityThresholds tolerant;
  tolerant.faded_dark_level = 0.4;
  EXPECT_TRUE(likely_quality_causes(faded, tolerant).empty());
}

// A lesion (a darker disc at the centre) on skin of each tone, with a flash's reflection: a white ellipse over
// `glare` of the frame's area at its centre (0: none).
RgbImage lesion_with_glare(std::array<double, 3> skin, double glare) {
  RgbImage img = textured(400, 300, skin, [](double u, double v) {
    const double r = std::hypot((u - 0.5) * 4, (v - 0.5) * 3);
    return skin_texture(u, v) + (r < 0.45 ? -0.45 : 0.0);
  });
  const double a = std::sqrt(glare * 400 * 300 / M_PI * 1.5);
  const double b = a / 1.5;
  for (int y = 0; y < 300 && glare > 0; ++y) {
    for (int x = 0; x < 400; ++x) {
      if (std::pow((x + 0.5 - 200) / a, 2) + std::pow((y + 0.5 - 150) / b, 2) <= 1) {
        for (int c = 0; c < 3; ++c) img.pixels[(static_cast<size_t>(y) * 400 + x) * 3 + c] = 255;
      }
    }
  }
  return img;
}

TEST(PhotoQuality, ASmallReflectionOnTheSpotIsTheLikelyCauseNotARefusal) {
  for (const auto& skin : {kTypeIII, kTypeVI}) {
    EXPECT_TRUE(likely_quality_causes(measure(lesion_with_glare(skin, 0)), {}).empty());
    // 0.2% of the frame blown at the centre: too small to refuse, named first if the model's check refuses it.
    const PhotoQuality small = measure(lesion_with_glare(skin, 0.002));
    EXPECT_TRUE(codes(small).empty());
    const auto causes = likely_quality_causes(small, {});
    ASSERT_FALSE(causes.empty());
    EXPECT_EQ(quality_code_name(causes[0].code), std::string("glare"));
    EXPECT_EQ(causes[0].value, small.spot_highlights);
  }
  // Glare before a fade: the reflection is the more specific cause.
  const auto both = likely_quality_causes(measure(washed(lesion_with_glare(kTypeVI, 0.002), 1.0 / 3)), {});
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(quality_code_name(both[0].code), std::string("glare"));
  EXPECT_EQ(quality_code_name(both[1].code), std::string("washed_out"));
}

TEST(PhotoQuality, GlareOnTheSpotIsItsOwnCodeWhateverTheSkin) {
  for (const auto& skin : {kTypeI, kTypeVI}) {
    const PhotoQuality clean = measure(lesion_with_glare(skin, 0));
    EXPECT_LT(clean.spot_highlights, 0.01);  // the palest skin's texture peaks touch white here and there
    EXPECT_TRUE(codes(clean).empty());
    // 2% of the frame blown at the centre is 8% of the spot (a quarter of the frame), and only 2% of the frame:
    // glare, not overexposed, and not blurry (the clipped centre carries no detail).
    const PhotoQuality flash = measure(lesion_with_glare(skin, 0.02));
    EXPECT_NEAR(flash.spot_highlights, 0.08, 0.01);
    EXPECT_NEAR(flash.highlights, 0.02, 0.006);
    EXPECT_EQ(codes(flash), std::vector<std::string>{"glare"});
    // The same reflection off the skin at a corner leaves the spot alone.
    RgbImage corner = lesion_with_glare(skin, 0);
    for (int y = 0; y < 40; ++y)
      for (int x = 0; x < 60; ++x)
        for (int c = 0; c < 3; ++c) corner.pixels[(static_cast<size_t>(y) * 400 + x) * 3 + c] = 255;
    EXPECT_EQ(measure(corner).spot_highlights, clean.spot_highlights);
    EXPECT_TRUE(codes(measure(corner)).empty());
  }
  // A frame blown out everywhere is overexposed, which says more than glare.
  const PhotoQuality white = measure(textured(300, 300, {255, 255, 255}, [](double, double) { return 0.0; }));
  EXPECT_EQ(white.spot_highlights, 1.0);
  EXPECT_EQ(codes(white), std::vector<std::string>{"overexposed"});
  // A model that tolerates few clipped pixels anywhere (fit-gate --fit-quality gives the demo max_highlights 0.006)
  // still hears about the flash for glare on the lesion, and about the light for a frame clipped all over.
  PhotoQualityThresholds strict;
  strict.max_highlights = 0.006;
  EXPECT_EQ(codes(measure(lesion_with_glare(kTypeVI, 0.02)), strict), std::vector<std::string>{"glare"});
  RgbImage bright_all_over = lesion_with_glare(kTypeI, 0);
  for (size_t i = 0; i < bright_all_over.pixels.size(); i += 3 * 37)
    for (int c = 0; c < 3; ++c) bright_all_over.pixels[i + c] = 255;
  EXPECT_EQ(codes(measure(bright_all_over), strict).front(), "overexposed");
  // The threshold is model.json's to set.
  PhotoQualityThresholds lenient;
  lenient.max_spot_highlights = 0.2;
  EXPECT_TRUE(codes(measure(lesion_with_glare(kTypeI, 0.02)), lenient).empty());
}

TEST(PhotoQuality, RandomColourNoiseIsNoisySkinWithSensorNoiseIsNot) {
  std::mt19937 rng(3);
  RgbImage noise;
  noise.width = noise.height = 256;
  noise.pixels.resize(256 * 256 * 3);
  for (uint8_t& v : noise.pixels) v = static_cast<uint8_t>(rng() & 255);
  const PhotoQuality q = measure(noise);
  EXPECT_GT(q.colour_noise, 0.6);
  EXPECT_EQ(codes(q), std::vector<std::string>{"noisy"});
  // Skin of both extreme tones with +-4 levels of independent noise per channel, as a phone sensor adds.
  for (const auto& base : {kTypeI, kTypeVI}) {
    RgbImage skin = textured(256, 256, base, skin_texture);
    std::uniform_int_distribution<int> grain(-4, 4);
    for (uint8_t& v : skin.pixels) v = static_cast<uint8_t>(std::clamp(v + grain(rng), 0, 255));
    const PhotoQuality s = measure(skin);
    EXPECT_LT(s.colour_noise, 0.1);
    EXPECT_TRUE(codes(s).empty()) << s.colour_noise;
  }
  // A flat colour has no colour steps at all.
  EXPECT_EQ(measure(textured(64, 64, kTypeVI, [](double, double) { return 0.0; })).colour_noise, 0.0);
}

TEST(PhotoQuality, TooSmallUsesTheOriginalRegionSize) {
  const RgbImage img = textured(48, 60, {200, 150, 120}, skin_texture);
  auto q = measure_photo_quality(img.pixels.data(), img.width, img.height, 3, {0, 0, 48, 60}, 48, 60);
  ASSERT_TRUE(q.ok());
  const auto issues = judge_photo_quality(q.value(), {});
  ASSERT_FALSE(issues.empty());
  EXPECT_EQ(issues[0].code, QualityCode::kTooSmall);
  EXPECT_EQ(issues[0].value, 48);
  EXPECT_EQ(issues[0].threshold, 64);
  PhotoQualityThresholds lenient;
  lenient.min_side = 32;
  for (const QualityIssue& issue : judge_photo_quality(q.value(), lenient))
    EXPECT_NE(issue.code, QualityCode::kTooSmall);
}

TEST(PhotoQuality, JudgesOnlyTheRegionTheModelSees) {
  // Left half black, right half textured skin: the right half alone is fine, the whole is too dark.
  const RgbImage img =
      textured(400, 200, {200, 150, 120}, [](double u, double v) { return u < 0.5 ? -1.0 : skin_texture(u, v); });
  RgbaImage display;
  display.width = img.width;
  display.height = img.height;
  for (size_t i = 0; i < img.pixels.size(); i += 3)
    display.pixels.insert(display.pixels.end(), {img.pixels[i], img.pixels[i + 1], img.pixels[i + 2], 255});
  auto right = measure_region_on_display(display, 4000, 2000, {2000, 0, 4000, 2000});
  ASSERT_TRUE(right.ok());
  EXPECT_EQ(right.value().photo_width, 2000);
  EXPECT_TRUE(judge_photo_quality(right.value(), {}).empty());
  auto whole = measure_region_on_display(display, 4000, 2000, {0, 0, 4000, 2000});
  ASSERT_TRUE(whole.ok());
  EXPECT_NEAR(whole.value().shadows, 0.5, 0.01);
  // RGB and RGBA give the same measures.
  auto rgb = measure_photo_quality(img.pixels.data(), img.width, img.height, 3, {200, 0, 400, 200}, 2000, 2000);
  ASSERT_TRUE(rgb.ok());
  EXPECT_EQ(rgb.value().sharpness, right.value().sharpness);
}

TEST(PhotoQuality, BadArgumentsAreRefused) {
  const RgbImage img = textured(10, 10, {100, 100, 100}, skin_texture);
  EXPECT_FALSE(measure_photo_quality(nullptr, 10, 10, 3, {0, 0, 10, 10}, 10, 10).ok());
  EXPECT_FALSE(measure_photo_quality(img.pixels.data(), 10, 10, 2, {0, 0, 10, 10}, 10, 10).ok());
  EXPECT_FALSE(measure_photo_quality(img.pixels.data(), 10, 10, 3, {0, 0, 11, 10}, 10, 10).ok());
  EXPECT_FALSE(measure_photo_quality(img.pixels.data(), 10, 10, 3, {5, 5, 5, 8}, 10, 10).ok());
  EXPECT_FALSE(measure_photo_quality(img.pixels.data(), 10, 10, 3, {0, 0, 10, 10}, 0, 10).ok());
  const auto bad = measure_photo_quality(img.pixels.data(), 10, 10, 3, {-1, 0, 10, 10}, 10, 10);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  // A tiny photo is measured (and judged too_small), not an error.
  EXPECT_TRUE(measure_photo_quality(img.pixels.data(), 10, 10, 3, {0, 0, 10, 10}, 10, 10).ok());
}

TEST(PhotoQuality, ThresholdsOutsideTheirRangesAreRefused) {
  const PhotoQualityThresholds defaults;
  EXPECT_TRUE(check_quality_thresholds(defaults).ok());
  PhotoQualityThresholds t;
  t.min_sharpness = 10;  // the top of its range
  EXPECT_TRUE(check_quality_thresholds(t).ok());
  t.min_sharpness = 10.5;
  const auto refused = check_quality_thresholds(t);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("minSharpness"), std::string::npos);
  t = defaults;
  t.max_highlights = std::nan("");
  EXPECT_FALSE(check_quality_thresholds(t).ok());
  t = defaults;
  t.max_spot_highlights = 1.5;
  EXPECT_FALSE(check_quality_thresholds(t).ok());
  t = defaults;
  t.min_side = 0;
  EXPECT_FALSE(check_quality_thresholds(t).ok());
  t = defaults;
  t.min_spot_sharpness = -0.1;
  const auto spot = check_quality_thresholds(t);
  ASSERT_FALSE(spot.ok());
  EXPECT_NE(spot.error().message.find("minSpotSharpness"), std::string::npos);
  t = defaults;
  t.max_dark_level = 1.2;
  const auto dark = check_quality_thresholds(t);
  ASSERT_FALSE(dark.ok());
  EXPECT_NE(dark.error().message.find("maxDarkLevel"), std::string::npos);
  t = defaults;
  t.faded_dark_level = 1.5;
  const auto faded = check_quality_thresholds(t);
  ASSERT_FALSE(faded.ok());
  EXPECT_NE(faded.error().message.find("fadedDarkLevel"), std::string::npos);
  // The defaults lie inside the ranges the table states, one range per threshold.
  EXPECT_EQ(quality_threshold_ranges().size(), 11u);
}

}  // namespace
}  // namespace dermcam

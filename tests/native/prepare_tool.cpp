// dermcam_prepare_tool IMAGE OUT_PREFIX [width=N height=N resize=stretch|center-crop|letterbox
//                      layout=NCHW|NHWC scale=0-1|0-255 filter=triangle|box|cubic maxDisplaySide=N
//                      region=X,Y,W,H]
// Runs the native core exactly as prepareImage() does in wasm; writes OUT_PREFIX.tensor.f32 and
// OUT_PREFIX.display.rgba and prints the metadata as JSON. tests/js compares it with the wasm module.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "decode.h"
#include "prepare.h"

using namespace dermcam;

namespace {

bool write_file(const std::string& path, const void* data, size_t size) {
  std::ofstream out(path, std::ios::binary);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  return static_cast<bool>(out);
}

int fail(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return fail("usage: dermcam_prepare_tool IMAGE OUT_PREFIX [key=value ...]");
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) return fail(std::string("cannot read ") + argv[1]);
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};

  PreprocessOptions o;
  int max_display_side = kDefaultDisplaySide;
  for (int i = 3; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    const std::string key = arg.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    if (key == "width")
      o.width = std::atoi(value.c_str());
    else if (key == "height")
      o.height = std::atoi(value.c_str());
    else if (key == "maxDisplaySide")
      max_display_side = std::atoi(value.c_str());
    else if (key == "resize")
      o.policy = value == "stretch"     ? ResizePolicy::kStretch
                 : value == "letterbox" ? ResizePolicy::kLetterbox
                                        : ResizePolicy::kCenterCrop;
    else if (key == "layout")
      o.layout = value == "NHWC" ? TensorLayout::kNHWC : TensorLayout::kNCHW;
    else if (key == "scale")
      o.scale = value == "0-255" ? PixelScale::kByte : PixelScale::kUnit;
    else if (key == "filter")
      o.filter = value == "box"     ? ResampleFilter::kBox
                 : value == "cubic" ? ResampleFilter::kCubic
                                    : ResampleFilter::kTriangle;
    else if (key == "region") {
      double x = 0, y = 0, w = 0, h = 0;
      if (std::sscanf(value.c_str(), "%lf,%lf,%lf,%lf", &x, &y, &w, &h) != 4) return fail("region=X,Y,W,H");
      o.region = {x, y, x + w, y + h};
    } else
      return fail("unknown option " + key);
  }

  auto decoded = decode_image(bytes.data(), bytes.size());
  if (!decoded) return fail(std::string(error_code_name(decoded.error().code)) + ": " + decoded.error().message);
  const RgbImage& photo = decoded.value().image;
  auto prepared = prepare_photo(photo, o, max_display_side);
  if (!prepared) return fail(prepared.error().message);
  const ModelTensor& t = prepared.value().tensor;
  const RgbaImage& d = prepared.value().display;
  const std::string prefix = argv[2];
  if (!write_file(prefix + ".tensor.f32", t.data.data(), t.data.size() * sizeof(float)) ||
      !write_file(prefix + ".display.rgba", d.pixels.data(), d.pixels.size())) {
    return fail("cannot write " + prefix);
  }
  const TensorToDisplay& m = prepared.value().mapping;
  const PhotoQuality& q = prepared.value().quality;
  std::printf(
      "{\"width\":%d,\"height\":%d,\"shape\":[%d,%d,%d,%d],\"display\":{\"width\":%d,\"height\":%d},"
      "\"tensorToDisplay\":{\"scaleX\":%.17g,\"scaleY\":%.17g,\"offsetX\":%.17g,\"offsetY\":%.17g},"
      "\"quality\":{\"photoWidth\":%d,\"photoHeight\":%d,\"sharpness\":%.17g,\"contrast\":%.17g,"
      "\"meanLuminance\":%.17g,\"brightLevel\":%.17g,\"darkLevel\":%.17g,\"highlights\":%.17g,\"spotHighlights\":%.17g,"
      "\"spotSharpness\":%.17g,\"spotContrast\":%.17g,\"shadows\":%.17g,"
      "\"colourfulness\":%.17g,\"colourNoise\":%.17g}}\n",
      photo.width, photo.height, t.shape[0], t.shape[1], t.shape[2], t.shape[3], d.width, d.height, m.scale_x,
      m.scale_y, m.offset_x, m.offset_y, q.photo_width, q.photo_height, q.sharpness, q.contrast, q.mean_luminance,
      q.bright_level, q.dark_level, q.highlights, q.spot_highlights, q.spot_sharpness, q.spot_contrast, q.shadows,
      q.colourfulness, q.colour_noise);
  return 0;
}

// dermcam_cam_tool A.npy G.npy METHOD EIGEN(0|1) CLASS OUT_W OUT_H OUT.npy
// Runs the native CAM engine on NCHW activations (1, C, h, w) and gradients (K, C, h, w) and writes the map;
// tests/js compares it with the wasm module's, bit for bit.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cam.h"
#include "npy.h"

using namespace dermcam;

int main(int argc, char** argv) {
  if (argc != 9) {
    std::fprintf(stderr, "usage: dermcam_cam_tool A.npy G.npy METHOD EIGEN CLASS OUT_W OUT_H OUT.npy\n");
    return 2;
  }
  const test::NpyArray a = test::read_npy(argv[1]);
  const test::NpyArray g = test::read_npy(argv[2]);
  const CamMethodInfo* method = find_cam_method(argv[3]);
  if (method == nullptr || a.shape.size() != 4 || g.shape.size() != 4) {
    std::fprintf(stderr, "bad method or shapes\n");
    return 2;
  }
  const int c = static_cast<int>(a.shape[1]), h = static_cast<int>(a.shape[2]), w = static_cast<int>(a.shape[3]);
  const int cls = std::atoi(argv[5]);
  LayerInput layer{a.data.data(), g.data.data() + static_cast<size_t>(cls) * c * h * w, c, h, w, TensorLayout::kNCHW};
  // Score-CAM's and Ablation-CAM's value per channel: the class's gradients' channel means, as the golden
  // references take them (scripts/fixtures/make-cam-references.py) and tests/js passes them to the wasm module.
  std::vector<float> channel_values(c);
  for (int k = 0; k < c; ++k) {
    double sum = 0;
    for (int i = 0; i < h * w; ++i) sum += layer.gradients[static_cast<size_t>(k) * h * w + i];
    channel_values[k] = static_cast<float>(sum / (h * w));
  }
  layer.channel_values = channel_values.data();
  CamOptions options;
  options.method = method->id;
  options.eigen_smooth = std::string(argv[4]) == "1";
  options.output_width = std::atoi(argv[6]);
  options.output_height = std::atoi(argv[7]);
  auto result = compute_cam({{{layer}, false}}, options);
  if (!result) {
    std::fprintf(stderr, "%s\n", result.error().message.c_str());
    return 1;
  }
  test::write_npy(argv[8], {options.output_height, options.output_width}, result.value().map.data());
  std::printf("%s\n", map_status_name(result.value().status));
  return 0;
}

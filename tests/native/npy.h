// Minimal .npy (NumPy format 1.0/2.0) reading and writing of little-endian float32 C-order arrays, for
// the fixtures scripts/fixtures/make-cam-references.py writes and the tools that write maps.
#pragma once

#include <string>
#include <vector>

namespace dermcam::test {

struct NpyArray {
  std::vector<long> shape;
  std::vector<float> data;
};

NpyArray read_npy(const std::string& path);          // throws std::runtime_error on anything else
NpyArray read_cam_fixture(const std::string& name);  // tests/fixtures/cam/<name>
void write_npy(const std::string& path, const std::vector<long>& shape, const float* data);

}  // namespace dermcam::test

// libFuzzer: EXIF parsing on raw bytes, and on the bytes wrapped as a JPEG APP1 "Exif" segment so the
// fuzzer spends its time inside the TIFF structure.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "exif.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  volatile int orientation = dermcam::read_jpeg_exif_orientation(data, size);
  if (size > 65000) return 0;
  std::vector<uint8_t> jpeg = {
      0xFF, 0xD8, 0xFF, 0xE1, static_cast<uint8_t>((size + 8) >> 8), static_cast<uint8_t>((size + 8) & 0xFF), 'E', 'x',
      'i',  'f',  0,    0};
  jpeg.insert(jpeg.end(), data, data + size);
  orientation = dermcam::read_jpeg_exif_orientation(jpeg.data(), jpeg.size());
  if (orientation < 1 || orientation > 8) __builtin_trap();
  return 0;
}

#include "exif.h"

#include <cstring>

namespace dermcam {
namespace {

constexpr int kUpright = 1;
constexpr uint16_t kOrientationTag = 0x0112;
constexpr uint16_t kTypeShort = 3;

class TiffReader {
 public:
  TiffReader(const uint8_t* data, size_t size, bool little_endian)
      : data_(data), size_(size), little_endian_(little_endian) {}

  bool u16(size_t at, uint16_t* out) const {
    if (at > size_ || size_ - at < 2) return false;
    *out = little_endian_ ? static_cast<uint16_t>(data_[at] | (data_[at + 1] << 8))
                          : static_cast<uint16_t>((data_[at] << 8) | data_[at + 1]);
    return true;
  }

  bool u32(size_t at, uint32_t* out) const {
    uint16_t a = 0;
    uint16_t b = 0;
    if (!u16(at, &a) || !u16(at + 2, &b)) return false;
    *out = little_endian_ ? (static_cast<uint32_t>(b) << 16) | a : (static_cast<uint32_t>(a) << 16) | b;
    return true;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  bool little_endian_;
};

int orientation_from_tiff(const uint8_t* tiff, size_t size) {
  if (size < 8) return kUpright;
  bool little_endian = false;
  if (std::memcmp(tiff, "II", 2) == 0) {
    little_endian = true;
  } else if (std::memcmp(tiff, "MM", 2) != 0) {
    return kUpright;
  }
  const TiffReader reader(tiff, size, little_endian);
  uint16_t magic = 0;
  uint32_t ifd0 = 0;
  uint16_t entry_count = 0;
  if (!reader.u16(2, &magic) || magic != 42) return kUpright;
  if (!reader.u32(4, &ifd0) || !reader.u16(ifd0, &entry_count)) return kUpright;
  for (uint32_t i = 0; i < entry_count; ++i) {
    const size_t entry = static_cast<size_t>(ifd0) + 2 + 12 * static_cast<size_t>(i);
    uint16_t tag = 0;
    uint16_t type = 0;
    uint32_t count = 0;
    uint16_t value = 0;
    if (!reader.u16(entry, &tag) || !reader.u16(entry + 2, &type) || !reader.u32(entry + 4, &count) ||
        !reader.u16(entry + 8, &value)) {
      return kUpright;  // IFD runs past the segment
    }
    if (tag != kOrientationTag) continue;
    if (type != kTypeShort || count != 1 || value < 1 || value > 8) return kUpright;
    return value;
  }
  return kUpright;
}

}  // namespace

int read_jpeg_exif_orientation(const uint8_t* data, size_t size) {
  if (data == nullptr || size < 4 || data[0] != 0xFF || data[1] != 0xD8) return kUpright;
  size_t pos = 2;
  while (pos + 4 <= size) {
    if (data[pos] != 0xFF) return kUpright;  // not at a marker: malformed, stop looking
    const uint8_t marker = data[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length field
      pos += 2;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return kUpright;  // entropy-coded data or end: no EXIF before it
    const size_t length = (static_cast<size_t>(data[pos + 2]) << 8) | data[pos + 3];
    if (length < 2 || length > size - pos - 2) return kUpright;
    const uint8_t* payload = data + pos + 4;
    const size_t payload_size = length - 2;
    if (marker == 0xE1 && payload_size >= 6 && std::memcmp(payload, "Exif\0\0", 6) == 0) {
      return orientation_from_tiff(payload + 6, payload_size - 6);
    }
    pos += 2 + length;
  }
  return kUpright;
}

}  // namespace dermcam

// Reads fuzzer bytes as typed values; past the end it yields zeros, so every input is usable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace dermcam::fuzz {

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  int in_range(int lo, int hi) { return lo + byte() % (hi - lo + 1); }
  bool flag() { return byte() & 1; }
  float number() {  // any float bit pattern: NaN, infinities, denormals included
    uint32_t bits = 0;
    for (int i = 0; i < 4; ++i) bits |= static_cast<uint32_t>(byte()) << (8 * i);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  float tame() { return static_cast<float>(static_cast<int8_t>(byte())) / 16.0f; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace dermcam::fuzz

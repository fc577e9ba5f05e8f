// EXIF orientation of a JPEG, read the way browsers read it.
//
// Scans the JPEG's marker segments up to the first SOS, takes the first APP1 segment that starts with
// "Exif\0\0", and reads tag 0x0112 (Orientation, type SHORT, count 1) from IFD0 of its TIFF structure,
// big- or little-endian. Only IFD0 is read and no offset is followed twice, so there are no loops.
//
// Returns the orientation 1..8 as defined by EXIF 2.32 (1 = upright, 6 = rotate 90 degrees clockwise to
// display, ...). Absent, malformed, truncated or out-of-range data gives 1: EXIF problems are never fatal
// and every read is bounds-checked against `size`.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dermcam {

int read_jpeg_exif_orientation(const uint8_t* data, size_t size);

}  // namespace dermcam

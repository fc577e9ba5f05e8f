// The one translation unit that compiles stb_image_write (PNG output for overlays; the tests' encoders).
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO  // bytes go to memory only
#include <stb_image_write.h>

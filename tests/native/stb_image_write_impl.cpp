// stb_image_write for the tests' in-memory encoders (the core only reads images).
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb_image_write.h>

// The one translation unit that compiles stb_image, restricted to the formats dermcam decodes.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO    // bytes come from memory only; no file access in the browser
#define STBI_NO_LINEAR   // no float (HDR) output path
#define STBI_NO_HDR
#include <stb_image.h>

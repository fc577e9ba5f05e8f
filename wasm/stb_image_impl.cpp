// The one translation unit that compiles stb_image, restricted to the formats dermcam decodes.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO   // bytes come from memory only; no file access in the browser
#define STBI_NO_LINEAR  // no float (HDR) output path
#define STBI_NO_HDR
// Every stb allocation counts against the decode's memory budget (decode_budget.h).
#include "decode_budget.h"
#define STBI_MALLOC(size) dermcam::budget_malloc(size)
#define STBI_REALLOC_SIZED(pointer, old_size, new_size) dermcam::budget_realloc(pointer, old_size, new_size)
#define STBI_FREE(pointer) dermcam::budget_free(pointer)
#if defined(__EMSCRIPTEN__) && defined(__SSE2__)
// stb's SSE2 IDCT and colour conversion, through Emscripten's SSE2-on-wasm-SIMD headers. stb documents them
// as bit-identical to its scalar code, so native and wasm still decode to the same pixels.
#define STBI__X86_TARGET  // stb enables (and detects) its SSE2 path only for x86 targets
#endif
#include <stb_image.h>

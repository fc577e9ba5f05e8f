// A memory budget for stb_image's allocations during one decode (stb_image_impl.cpp routes STBI_MALLOC,
// STBI_REALLOC_SIZED and STBI_FREE through it). A hostile file can make stb ask for far more memory than its
// stated size needs (a PNG chunk claiming 1 GB, a zlib bomb); past the budget the allocation fails and stb
// reports "outofmem", which decode_image turns into a clear error instead of exhausting memory.
// Single-threaded, like the rest of the core.
#pragma once

#include <cstddef>

namespace dermcam {

class DecodeBudget {
 public:
  explicit DecodeBudget(size_t bytes);  // active until destroyed
  ~DecodeBudget();
  DecodeBudget(const DecodeBudget&) = delete;
  DecodeBudget& operator=(const DecodeBudget&) = delete;
  static bool exceeded();  // whether an allocation was refused since the budget started
};

void* budget_malloc(size_t size);
void* budget_realloc(void* pointer, size_t old_size, size_t new_size);
void budget_free(void* pointer);

}  // namespace dermcam

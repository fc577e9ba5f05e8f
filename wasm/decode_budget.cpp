#include "decode_budget.h"

#include <cstdlib>
#include <cstring>

namespace dermcam {
namespace {

constexpr size_t kHeader = 16;  // keeps the returned block 16-byte aligned; holds the block's size
size_t g_limit = static_cast<size_t>(-1);
size_t g_used = 0;
bool g_exceeded = false;

}  // namespace

DecodeBudget::DecodeBudget(size_t bytes) {
  g_limit = bytes;
  g_used = 0;
  g_exceeded = false;
}

DecodeBudget::~DecodeBudget() { g_limit = static_cast<size_t>(-1); }

bool DecodeBudget::exceeded() { return g_exceeded; }

void* budget_malloc(size_t size) {
  if (size > g_limit - g_used || size > static_cast<size_t>(-1) - kHeader) {
    g_exceeded = true;
    return nullptr;
  }
  auto* block = static_cast<unsigned char*>(std::malloc(size + kHeader));
  if (block == nullptr) return nullptr;
  std::memcpy(block, &size, sizeof size);
  g_used += size;
  return block + kHeader;
}

void budget_free(void* pointer) {
  if (pointer == nullptr) return;
  auto* block = static_cast<unsigned char*>(pointer) - kHeader;
  size_t size = 0;
  std::memcpy(&size, block, sizeof size);
  g_used -= size < g_used ? size : g_used;
  std::free(block);
}

void* budget_realloc(void* pointer, size_t /*old_size*/, size_t new_size) {
  void* fresh = budget_malloc(new_size);
  if (fresh == nullptr) return nullptr;
  if (pointer != nullptr) {
    size_t old = 0;
    std::memcpy(&old, static_cast<unsigned char*>(pointer) - kHeader, sizeof old);
    std::memcpy(fresh, pointer, old < new_size ? old : new_size);
    budget_free(pointer);
  }
  return fresh;
}

}  // namespace dermcam

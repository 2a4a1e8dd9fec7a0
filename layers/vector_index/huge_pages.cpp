#include "huge_pages.hpp"

#include <sys/mman.h>

#include <cstdint>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 // Linux 6.1; glibc 2.36's headers predate it
#endif

namespace strata::vector_index {

namespace {

constexpr std::uintptr_t huge_page = std::uintptr_t{2} << 20;

/// Applies `advice` to the whole huge pages inside [p, p + bytes), if any.
void advise(const void* p, std::size_t bytes, int advice) {
  auto begin = (reinterpret_cast<std::uintptr_t>(p) + huge_page - 1) & ~(huge_page - 1);
  auto end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge_page - 1);
  if (end > begin)
    madvise(reinterpret_cast<void*>(begin), end - begin, advice);
}

} // namespace

void advise_huge_pages(const void* p, std::size_t bytes) {
  advise(p, bytes, MADV_HUGEPAGE);
}

void collapse_huge_pages(const void* p, std::size_t bytes) {
  advise(p, bytes, MADV_HUGEPAGE);
  advise(p, bytes, MADV_COLLAPSE);
}

} // namespace strata::vector_index

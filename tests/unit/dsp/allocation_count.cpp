// SPDX-License-Identifier: Apache-2.0
// The counting operator new/delete behind allocation_count.hpp.
#include "allocation_count.hpp"

#include <cstdlib>
#include <new>

// g++ 12 inlines these replacements and then sees a malloc'd pointer reach "operator delete"
// and free(); that pairing is exactly what we intend.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
thread_local std::uint64_t t_allocations = 0;
}  // namespace

std::uint64_t parley::test::thread_allocations() {
    return t_allocations;
}

void* operator new(std::size_t size) {
    ++t_allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    return operator new(size);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}

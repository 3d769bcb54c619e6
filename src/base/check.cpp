// SPDX-License-Identifier: Apache-2.0
#include "base/check.hpp"

#include <cstdio>
#include <cstdlib>

namespace parley::detail {

void check_failed(const char* expr, const char* file, int line) noexcept {
    std::fprintf(stderr, "parley: check failed: %s at %s:%d\n", expr, file, line);
    std::abort();
}

}  // namespace parley::detail

// SPDX-License-Identifier: Apache-2.0
#include "base/thread_name.hpp"

#include <pthread.h>

#include <cstring>

namespace parley {

void name_this_thread(const char* name) noexcept {
    char cut[16] = {};
    std::strncpy(cut, name, sizeof cut - 1);
    (void)pthread_setname_np(pthread_self(), cut);
}

}  // namespace parley

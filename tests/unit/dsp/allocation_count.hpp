// SPDX-License-Identifier: Apache-2.0
// Counts operator new on each thread, for tests proving that real-time paths never allocate.
// Linking allocation_count.cpp replaces the global operator new/delete of the test binary.
#pragma once

#include <cstdint>

namespace parley::test {

// How many times the calling thread has called operator new (any form) so far.
[[nodiscard]] std::uint64_t thread_allocations();

}  // namespace parley::test

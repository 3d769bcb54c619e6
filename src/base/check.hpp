// SPDX-License-Identifier: Apache-2.0
// PARLEY_DCHECK: aborts with a message when a precondition (a bug, not an input error) breaks.
// Active whenever PARLEY_ENABLE_DCHECK is set (all our builds); tested with death tests.
// Any context; on rt it only fires on a programming error, never on data.
#pragma once

namespace parley::detail {
[[noreturn]] void check_failed(const char* expr, const char* file, int line) noexcept;
}  // namespace parley::detail

#if PARLEY_ENABLE_DCHECK
#define PARLEY_DCHECK(cond) \
    ((cond) ? static_cast<void>(0) : ::parley::detail::check_failed(#cond, __FILE__, __LINE__))
#else
#define PARLEY_DCHECK(cond) static_cast<void>(sizeof(cond))
#endif

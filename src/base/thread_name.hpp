// SPDX-License-Identifier: Apache-2.0
// Names the calling thread (as top, perf and /proc/PID/task/*/comm show it), so a profile or a
// stack dump says which of Parley's threads did what. Names longer than 15 bytes are cut.
#pragma once

namespace parley {

void name_this_thread(const char* name) noexcept;

}  // namespace parley

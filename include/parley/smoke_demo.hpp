// SPDX-License-Identifier: Apache-2.0
// The smoke path `parley demo` runs until the scripted conversation demo (issue #4) exists: an
// in-process local server answers a scripted client (our LiveSession) that speaks flite-made
// questions and types one, printing what was heard and said and how long each answer took.
#pragma once

#include <cstdio>

namespace parley {

// Runs the smoke conversation, printing to `out`. Returns 0 when every turn was answered.
[[nodiscard]] int run_smoke_demo(std::FILE* out);

}  // namespace parley

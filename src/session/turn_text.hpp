// SPDX-License-Identifier: Apache-2.0
// Transcript text helpers for the Conversation: trimming fragments joined from the server's
// transcription, and cutting a model line to the part that was heard. Pure functions; any thread.
#pragma once

#include <string>

namespace parley::session {

// Collapses runs of whitespace and trims both ends.
[[nodiscard]] std::string trim_text(const std::string& text);
// The first `fraction` (0..1) of `text`, ending at a word boundary, trimmed, with "..." appended
// when something was cut.
[[nodiscard]] std::string cut_text(const std::string& text, double fraction);

}  // namespace parley::session

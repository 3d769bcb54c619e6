// SPDX-License-Identifier: Apache-2.0
// Conversation reports: the transcript as JSON lines and a timeline SVG (who spoke when, barge-in
// marks, latencies), written after a conversation by `parley demo` and `parley talk`. Blocking
// file I/O on the caller's thread (control).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "session/conversation_types.hpp"

namespace parley::session {

// A moment worth marking on the timeline (barge-ins, resumes, tool calls).
struct TimelineMark {
    double at_ms = 0;
    std::string label;
};

// One JSON object per line: {"who","text","start_ms","end_ms","interrupted","turn"}, plus
// "incomplete": true on a line the conversation stopped before it was final.
// Errors: the system's error (std::generic_category) when the file cannot be written.
[[nodiscard]] Status write_transcript_jsonl(const std::string& path,
                                            std::span<const TranscriptLine> lines);
[[nodiscard]] Status write_timeline_svg(const std::string& path,
                                        std::span<const TranscriptLine> lines,
                                        std::span<const TimelineMark> marks,
                                        std::span<const TurnMetrics> metrics);

}  // namespace parley::session

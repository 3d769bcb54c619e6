// SPDX-License-Identifier: Apache-2.0
// TalkStatus: turns a Conversation's events into what `parley talk` shows: final lines (final
// transcript lines, latency per turn, barge-ins, reconnections, audio dropped before sending)
// and, on a terminal, one live line (who is speaking, microphone, time, dropped audio, last
// latency, a reconnection in progress, and the transcript line in progress as it arrives).
// Pure text, no I/O; owned by run_talk on the control thread (events are handed over to it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "parley/conversation.hpp"

namespace parley {

// Who is speaking now, as the status shows it.
enum class Speaker { kNobody, kUser, kModel, kBoth };

class TalkStatus {
public:
    // `live`: a terminal gets the live line; otherwise who-speaks changes become plain lines.
    explicit TalkStatus(bool live) : live_(live) {}

    // Lines that became final with this event, each without a newline.
    [[nodiscard]] std::vector<std::string> on_event(const ConversationEvent& event);
    // A line when more audio was dropped (the send queue's bound was exceeded) since the last
    // call, never silently; nothing otherwise.
    [[nodiscard]] std::vector<std::string> on_stats(const session::SessionStats& stats);
    // The microphone's level in dBFS, when the caller can measure it (shown as a meter).
    void set_mic_level_dbfs(std::optional<double> level) { mic_level_dbfs_ = level; }
    // Whether model audio is queued or playing (Conversation::model_playing()); the model's turn
    // ends at the server well before its audio has played.
    void set_model_playing(bool playing) { model_speaking_ = playing; }

    // The live line at conversation time `now_ms`, at most `columns` characters (no newline).
    [[nodiscard]] std::string live_line(double now_ms, std::size_t columns) const;

    [[nodiscard]] Speaker speaker() const;
    [[nodiscard]] bool live() const { return live_; }
    [[nodiscard]] std::optional<double> last_latency_ms() const { return last_latency_ms_; }
    [[nodiscard]] std::uint64_t dropped_ms() const { return dropped_ms_; }
    // The transcript line in progress (the latest speaker's), "" when none.
    [[nodiscard]] std::string line_in_progress() const;
    // What the connection is doing while it is not plainly open ("reconnecting (attempt 2)"),
    // "" when it is.
    [[nodiscard]] const std::string& connection_note() const { return connection_note_; }

private:
    bool live_;
    bool user_speaking_ = false;
    bool model_speaking_ = false;
    Speaker shown_ = Speaker::kNobody;  // plain mode: the last speaker printed
    std::optional<double> mic_level_dbfs_{};
    std::optional<double> last_latency_ms_{};
    double last_user_end_ms_ = -1;
    std::uint64_t dropped_ms_ = 0;
    std::uint64_t sent_ms_ = 0;
    int turns_ = 0;
    // Transcript lines in progress (kTranscriptPartial), per speaker.
    std::string user_partial_{};
    std::string model_partial_{};
    bool model_partial_latest_ = false;
    std::string connection_note_{};
};

// "1.5 s", "830 ms": a duration for people.
[[nodiscard]] std::string format_duration_ms(double ms);
// A 10-cell meter for a level in dBFS (-60 .. 0), e.g. "[#####     ]".
[[nodiscard]] std::string level_meter(double dbfs);

}  // namespace parley

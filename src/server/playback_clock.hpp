// SPDX-License-Identifier: Apache-2.0
// PlaybackClock: where a client that plays the model's audio in real time would be, by the
// server's clock. The real service holds turnComplete until the audio it sent would have finished
// playing and lets the user interrupt until then; this class answers "when does playback end?"
// and "how much had been played at time t?". One per model turn, on io.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

namespace parley::server {

class PlaybackClock {
public:
    using Clock = std::chrono::steady_clock;
    using Duration = std::chrono::microseconds;

    // Records audio of `duration` sent at `sent_at`; `mark` tags it (e.g. the sentence index) so
    // played_marks() can say which pieces were heard. Playback of a chunk starts when it arrives or
    // when the previous one ends, whichever is later.
    void on_sent(Clock::time_point sent_at, Duration duration, std::size_t mark);

    [[nodiscard]] bool started() const { return !chunks_.empty(); }
    // When the last chunk sent so far ends playing; only meaningful when started().
    [[nodiscard]] Clock::time_point playback_end() const { return playback_end_; }
    // Audio played by `at`, over all chunks.
    [[nodiscard]] Duration played_by(Clock::time_point at) const;
    // Total audio sent.
    [[nodiscard]] Duration sent() const { return sent_; }
    // For each mark, the fraction of its audio played by `at` (0..1), in mark order of first use.
    struct MarkPlayed {
        std::size_t mark;
        double fraction;
    };
    [[nodiscard]] std::vector<MarkPlayed> played_marks(Clock::time_point at) const;

private:
    struct Chunk {
        Clock::time_point start;
        Duration duration;
        std::size_t mark;
    };
    std::vector<Chunk> chunks_;
    Clock::time_point playback_end_{};
    Duration sent_{0};
};

}  // namespace parley::server

// SPDX-License-Identifier: Apache-2.0
#include "server/playback_clock.hpp"

#include <algorithm>

namespace parley::server {

void PlaybackClock::on_sent(Clock::time_point sent_at, Duration duration, std::size_t mark) {
    const auto start = chunks_.empty() ? sent_at : std::max(sent_at, playback_end_);
    chunks_.push_back({start, duration, mark});
    playback_end_ = start + duration;
    sent_ += duration;
}

PlaybackClock::Duration PlaybackClock::played_by(Clock::time_point at) const {
    Duration played{0};
    for (const auto& chunk : chunks_) {
        if (at <= chunk.start) break;
        played += std::min(chunk.duration, std::chrono::duration_cast<Duration>(at - chunk.start));
    }
    return played;
}

std::vector<PlaybackClock::MarkPlayed> PlaybackClock::played_marks(Clock::time_point at) const {
    struct Totals {
        std::size_t mark;
        Duration sent{0};
        Duration played{0};
    };
    std::vector<Totals> totals;
    for (const auto& chunk : chunks_) {
        auto it = std::find_if(totals.begin(), totals.end(),
                               [&](const Totals& t) { return t.mark == chunk.mark; });
        if (it == totals.end()) {
            totals.push_back({chunk.mark});
            it = totals.end() - 1;
        }
        it->sent += chunk.duration;
        if (at > chunk.start) {
            it->played +=
                std::min(chunk.duration, std::chrono::duration_cast<Duration>(at - chunk.start));
        }
    }
    std::vector<MarkPlayed> out;
    out.reserve(totals.size());
    for (const auto& t : totals) {
        const double fraction =
            t.sent.count() > 0 ? static_cast<double>(t.played.count()) / t.sent.count() : 0.0;
        out.push_back({t.mark, fraction});
    }
    return out;
}

}  // namespace parley::server

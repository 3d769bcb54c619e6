// SPDX-License-Identifier: Apache-2.0
// ReplayBuffer: the client messages a LiveSession has sent and the server has not yet
// acknowledged (transparent resumption, LIVE_PROTOCOL.md §5 lastConsumedClientMessageIndex), so
// that after a lost connection exactly the ones the server did not consume are sent again.
// Audio in it is bounded; past the bound the oldest entries are evicted (and, if the server
// later turns out not to have them, counted as lost). Owned by LiveSession's core; io only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace parley::session {

class ReplayBuffer {
public:
    struct Entry {
        std::int64_t index = 0;         // the client message's number in the session, from 0
        std::string message;            // the encoded message as sent
        std::size_t audio_samples = 0;  // 16 kHz samples it carries (0: not audio)
    };
    struct Resend {
        std::vector<Entry> entries;      // to send again, in order, renumbered
        std::uint64_t lost_samples = 0;  // evicted audio the server never consumed
        std::int64_t next_index = 0;     // the number of the next new message
    };

    // `max_audio_samples` > 0: audio kept at most.
    explicit ReplayBuffer(std::size_t max_audio_samples);

    // Keeps a sent message. Indices must grow by one per call.
    void record(std::int64_t index, std::string message, std::size_t audio_samples);
    // The server consumed every message up to and including `index` (-1: none).
    void acknowledge(std::int64_t index);
    // A new connection resumed after the server consumed up to `index`: returns what to send
    // again (kept here, renumbered index + 1, ...), counts what cannot be, and forgets the rest.
    [[nodiscard]] Resend resend_after(std::int64_t index);
    // Changes the bound (> 0); takes effect at the next record().
    void set_max_audio_samples(std::size_t max_audio_samples);
    // Forgets everything (the server's state is unknown or a new session starts).
    void clear();

    [[nodiscard]] std::size_t audio_samples() const { return audio_samples_; }
    [[nodiscard]] std::size_t size() const { return entries_.size(); }

private:
    std::size_t max_audio_samples_;
    std::deque<Entry> entries_;
    std::size_t audio_samples_ = 0;
    // Evicted before an acknowledgement: (index, audio samples), oldest first.
    std::deque<std::pair<std::int64_t, std::size_t>> evicted_;
};

}  // namespace parley::session

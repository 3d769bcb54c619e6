// SPDX-License-Identifier: Apache-2.0
// OutgoingQueue: what a LiveSession has been asked to send and has not yet handed to the
// WebSocket, in order: 16 kHz audio (coalesced into chunks of at most 100 ms) and encoded
// control messages. Audio is bounded: past the bound the oldest audio is dropped and counted.
// Producers on any thread (send_audio, send_text, ...), the consumer on io. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace parley::session {

class OutgoingQueue {
public:
    struct Item {
        bool is_audio = false;
        std::vector<std::int16_t> samples;  // audio: PCM16 mono at 16 kHz
        std::string message;                // otherwise: one encoded client message
    };

    // `max_audio_samples`: audio kept at most (e.g. 2 s = 32000); `chunk_samples`: the most
    // audio coalesced into one item (e.g. 100 ms = 1600). Both > 0.
    OutgoingQueue(std::size_t max_audio_samples, std::size_t chunk_samples);

    // Appends audio; if more than the bound is then waiting, drops the oldest audio. Returns the
    // number of samples dropped by this call.
    std::size_t push_audio(std::span<const std::int16_t> samples);
    // Appends an encoded message (never dropped).
    void push_message(std::string message);
    // Removes and returns the oldest item, or nullopt when empty.
    [[nodiscard]] std::optional<Item> pop();
    // Changes the bound (> 0); takes effect at the next push_audio().
    void set_max_audio_samples(std::size_t max_audio_samples);
    // Drops everything (not counted as dropped audio).
    void clear();

    [[nodiscard]] bool empty() const;
    [[nodiscard]] std::size_t pending_audio_samples() const;
    // Samples dropped over the queue's life because of the bound.
    [[nodiscard]] std::uint64_t dropped_samples() const;

private:
    std::size_t max_audio_samples_;  // guarded by mutex_
    const std::size_t chunk_samples_;
    mutable std::mutex mutex_;
    std::deque<Item> items_;         // guarded by mutex_
    std::size_t pending_audio_ = 0;  // guarded by mutex_
    std::uint64_t dropped_ = 0;      // guarded by mutex_
};

}  // namespace parley::session

// SPDX-License-Identifier: Apache-2.0
// Player: the client's queue of the model's audio (24 kHz mono PCM16), chunk by chunk and tagged
// with the turn it belongs to. The session (io thread) push()es chunks and flush()es a turn on
// `interrupted`; the dsp thread pull()s 10 ms at a time into the shallow render ring; local
// barge-in pause()s and resume()s. Pausing, resuming and flushing the playing turn fade (a few
// ms), so nothing clicks. It counts, per turn, how many samples were really handed to the
// renderer. Thread-safe (one mutex, held briefly); pull() never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

namespace parley::dsp {

using TurnId = std::uint64_t;

struct PlayerConfig {
    // Rate of the queued audio (the Live API's output rate). Range [8000, 48000].
    int sample_rate_hz = 24000;
    // Fade-out on pause() and on flush() of the playing turn; fade-in on resume(). Range [1, 100].
    int fade_out_ms = 5;
    int fade_in_ms = 10;
    // Per-turn accounting is kept for this many most recent turns.
    std::size_t turns_kept = 64;
};

// What happened to one turn's audio, in samples at the player's rate.
struct TurnPlayback {
    TurnId turn = 0;
    std::uint64_t pushed_samples = 0;
    // Handed out by pull() (fades included). The audio really heard lags this by the render
    // ring and device buffers: the caller subtracts their depth.
    std::uint64_t played_samples = 0;
    // Dropped by flush() (including chunks pushed after the flush).
    std::uint64_t dropped_samples = 0;
    bool flushed = false;
};

class Player {
public:
    explicit Player(const PlayerConfig& config = {});
    Player(const Player&) = delete;
    Player& operator=(const Player&) = delete;

    // Queues one chunk of `turn`. Returns false (and drops it) when the turn was flushed: audio
    // that arrives after `interrupted` is never played. Allocates (a copy of the chunk). io.
    bool push(TurnId turn, std::span<const std::int16_t> pcm);

    // Drops everything queued for `turn` at once, and whatever arrives for it later; other
    // turns' audio, queued before or after, stays. If `turn` is playing, its next fade_out_ms
    // are played fading out first. Returns the samples dropped. Any thread.
    std::size_t flush(TurnId turn);

    // Stops playback after a fade_out_ms fade (local barge-in); the queue is kept.
    void pause();
    // Continues where pause() stopped, fading in over fade_in_ms.
    void resume();
    [[nodiscard]] bool paused() const;
    // After pause(), when the renderer also drops what it had queued (its own fade-out ends the
    // sound at once): stops here without a fade of its own, and puts the last
    // `unheard_samples` handed out back in front of the queue (as far as the playing chunk still
    // holds them; they count as not played), so resume() goes on where the sound stopped.
    // Nothing happens unless paused. Returns the samples put back. dsp.
    std::size_t stop_and_rewind(std::size_t unheard_samples);

    // Fills all of `out` with the next samples to render: queued audio, then silence when the
    // queue is empty or playback is paused. Returns how many samples came from the queue.
    // Never allocates (it may free finished chunks). dsp.
    std::size_t pull(std::span<std::int16_t> out);

    // Accounting for `turn`, if it is among the last turns_kept turns.
    [[nodiscard]] std::optional<TurnPlayback> playback(TurnId turn) const;
    // playback(turn)->played_samples in milliseconds (0 for an unknown turn).
    [[nodiscard]] double played_ms(TurnId turn) const;
    // Samples waiting in the queue (all turns).
    [[nodiscard]] std::size_t queued_samples() const;
    // The turn whose audio pull() hands out next, if any is queued.
    [[nodiscard]] std::optional<TurnId> current_turn() const;

private:
    struct Chunk {
        TurnPlayback* stats;  // points into turns_ (a deque: stable while the turn is kept)
        std::vector<std::int16_t> pcm;
        std::size_t offset = 0;
    };

    TurnPlayback* find_turn(TurnId turn);
    const TurnPlayback* find_turn(TurnId turn) const;

    PlayerConfig config_;
    double fade_out_step_;
    double fade_in_step_;

    mutable std::mutex mutex_;
    std::deque<Chunk> queue_;
    std::deque<TurnPlayback> turns_;
    std::size_t queued_samples_ = 0;
    double gain_ = 1.0;
    double target_gain_ = 1.0;
    // The fade-out of a flushed playing turn, played before anything else.
    std::vector<std::int16_t> fade_buffer_;
    std::size_t fade_length_ = 0;
    std::size_t fade_position_ = 0;
};

}  // namespace parley::dsp

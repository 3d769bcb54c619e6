// SPDX-License-Identifier: Apache-2.0
#include "dsp/player.hpp"

#include <algorithm>
#include <cmath>

#include "dsp/frame.hpp"

namespace parley::dsp {
namespace {

std::size_t fade_samples(int ms, int rate_hz) {
    return std::max<std::size_t>(1, ms_to_samples(std::clamp(ms, 1, 100), rate_hz));
}

std::int16_t scaled(std::int16_t s, double gain) {
    return static_cast<std::int16_t>(std::lround(static_cast<double>(s) * gain));
}

}  // namespace

Player::Player(const PlayerConfig& config)
    : config_(config),
      fade_out_step_(1.0 /
                     static_cast<double>(fade_samples(config.fade_out_ms, config.sample_rate_hz))),
      fade_in_step_(1.0 /
                    static_cast<double>(fade_samples(config.fade_in_ms, config.sample_rate_hz))),
      fade_buffer_(fade_samples(config.fade_out_ms, config.sample_rate_hz)) {
    config_.turns_kept = std::max<std::size_t>(config_.turns_kept, 1);
}

TurnPlayback* Player::find_turn(TurnId turn) {
    // Newest first: pushes and flushes nearly always concern the latest turn or two.
    for (auto it = turns_.rbegin(); it != turns_.rend(); ++it) {
        if (it->turn == turn)
            return &*it;
    }
    return nullptr;
}

const TurnPlayback* Player::find_turn(TurnId turn) const {
    return const_cast<Player*>(this)->find_turn(turn);
}

bool Player::push(TurnId turn, std::span<const std::int16_t> pcm) {
    std::vector<std::int16_t> copy(pcm.begin(), pcm.end());  // allocate outside the lock
    const std::lock_guard lock(mutex_);
    TurnPlayback* stats = find_turn(turn);
    if (stats == nullptr) {
        // Forget the oldest turns, but never one that still has audio queued (its chunks
        // point at it).
        while (turns_.size() >= config_.turns_kept) {
            const TurnPlayback& oldest = turns_.front();
            const bool queued = std::any_of(queue_.begin(), queue_.end(),
                                            [&](const Chunk& c) { return c.stats == &oldest; });
            if (queued)
                break;
            turns_.pop_front();
        }
        turns_.push_back({.turn = turn});
        stats = &turns_.back();
    }
    if (stats->flushed) {
        stats->dropped_samples += pcm.size();
        return false;
    }
    stats->pushed_samples += pcm.size();
    if (!copy.empty()) {
        queued_samples_ += copy.size();
        queue_.push_back({.stats = stats, .pcm = std::move(copy)});
    }
    return true;
}

std::size_t Player::flush(TurnId turn) {
    const std::lock_guard lock(mutex_);
    TurnPlayback* stats = find_turn(turn);
    if (stats == nullptr) {
        // Flushed before its first chunk arrived: remember it, so late chunks are dropped.
        turns_.push_back({.turn = turn, .flushed = true});
        return 0;
    }
    stats->flushed = true;

    // The playing turn fades out over its next few samples instead of stopping dead. Only
    // when it is audible and no earlier fade is still pending.
    const bool playing = !queue_.empty() && queue_.front().stats == stats && gain_ > 0.0 &&
                         fade_position_ >= fade_length_;
    if (playing) {
        fade_length_ = 0;
        fade_position_ = 0;
        double g = gain_;
        for (Chunk& c : queue_) {
            if (c.stats != stats)
                break;
            while (c.offset < c.pcm.size() && fade_length_ < fade_buffer_.size()) {
                g = g - fade_out_step_ < 0.5 * fade_out_step_ ? 0.0 : g - fade_out_step_;
                fade_buffer_[fade_length_++] = scaled(c.pcm[c.offset++], g);
                ++stats->played_samples;
                --queued_samples_;
            }
        }
    }

    std::size_t dropped = 0;
    for (const Chunk& c : queue_) {
        if (c.stats == stats)
            dropped += c.pcm.size() - c.offset;
    }
    std::erase_if(queue_, [&](const Chunk& c) { return c.stats == stats; });
    queued_samples_ -= dropped;
    stats->dropped_samples += dropped;
    return dropped;
}

void Player::pause() {
    const std::lock_guard lock(mutex_);
    target_gain_ = 0.0;
}

void Player::resume() {
    const std::lock_guard lock(mutex_);
    target_gain_ = 1.0;
}

bool Player::paused() const {
    const std::lock_guard lock(mutex_);
    return target_gain_ == 0.0;
}

std::size_t Player::stop_and_rewind(std::size_t unheard_samples) {
    const std::lock_guard lock(mutex_);
    if (target_gain_ != 0.0)
        return 0;
    gain_ = 0.0;
    // A flushed turn's fade-out still to play, or nothing playing: nothing to put back.
    if (fade_position_ < fade_length_ || queue_.empty())
        return 0;
    Chunk& c = queue_.front();
    const std::size_t n = std::min(unheard_samples, c.offset);
    c.offset -= n;
    c.stats->played_samples -= n;
    queued_samples_ += n;
    return n;
}

std::size_t Player::pull(std::span<std::int16_t> out) {
    const std::lock_guard lock(mutex_);
    std::size_t n = 0;
    std::size_t taken = 0;
    while (n < out.size()) {
        if (fade_position_ < fade_length_) {
            out[n++] = fade_buffer_[fade_position_++];
            ++taken;
            continue;
        }
        const bool silent = target_gain_ == 0.0 && gain_ == 0.0;
        if (silent || queue_.empty())
            break;
        Chunk& c = queue_.front();
        if (gain_ == 1.0 && target_gain_ == 1.0) {
            // At full level the samples go out as they are, a run at a time.
            const std::size_t run = std::min(out.size() - n, c.pcm.size() - c.offset);
            std::copy_n(c.pcm.begin() + static_cast<std::ptrdiff_t>(c.offset), run,
                        out.begin() + static_cast<std::ptrdiff_t>(n));
            n += run;
            c.offset += run;
            c.stats->played_samples += run;
            queued_samples_ -= run;
            taken += run;
            if (c.offset == c.pcm.size())
                queue_.pop_front();
            continue;
        }
        // Snap within half a step: the fade lasts exactly fade_*_ms, without a stray last
        // sample from rounding.
        if (gain_ < target_gain_) {
            gain_ += fade_in_step_;
            if (gain_ > target_gain_ - 0.5 * fade_in_step_)
                gain_ = target_gain_;
        } else if (gain_ > target_gain_) {
            gain_ -= fade_out_step_;
            if (gain_ < target_gain_ + 0.5 * fade_out_step_)
                gain_ = target_gain_;
        }
        out[n++] = scaled(c.pcm[c.offset++], gain_);
        ++c.stats->played_samples;
        --queued_samples_;
        ++taken;
        if (c.offset == c.pcm.size())
            queue_.pop_front();  // frees; never allocates
    }
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), std::int16_t{0});
    return taken;
}

std::optional<TurnPlayback> Player::playback(TurnId turn) const {
    const std::lock_guard lock(mutex_);
    const TurnPlayback* stats = find_turn(turn);
    if (stats == nullptr)
        return std::nullopt;
    return *stats;
}

double Player::played_ms(TurnId turn) const {
    const auto p = playback(turn);
    return p ? samples_to_ms(static_cast<double>(p->played_samples), config_.sample_rate_hz) : 0.0;
}

std::size_t Player::queued_samples() const {
    const std::lock_guard lock(mutex_);
    return queued_samples_;
}

std::optional<TurnId> Player::current_turn() const {
    const std::lock_guard lock(mutex_);
    if (queue_.empty())
        return std::nullopt;
    return queue_.front().stats->turn;
}

}  // namespace parley::dsp

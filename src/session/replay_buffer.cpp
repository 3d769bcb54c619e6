// SPDX-License-Identifier: Apache-2.0
#include "session/replay_buffer.hpp"

#include "base/check.hpp"

namespace parley::session {
namespace {

// Evicted entries are remembered only to count what a resume could not resend; a server that
// never acknowledges must not grow this without bound.
constexpr std::size_t kMaxEvictedRemembered = 4096;

}  // namespace

ReplayBuffer::ReplayBuffer(std::size_t max_audio_samples) : max_audio_samples_(max_audio_samples) {
    PARLEY_DCHECK(max_audio_samples > 0);
}

void ReplayBuffer::record(std::int64_t index, std::string message, std::size_t audio_samples) {
    PARLEY_DCHECK(entries_.empty() || index == entries_.back().index + 1);
    entries_.push_back({index, std::move(message), audio_samples});
    audio_samples_ += audio_samples;
    while (audio_samples_ > max_audio_samples_ && entries_.size() > 1) {
        auto& oldest = entries_.front();
        evicted_.emplace_back(oldest.index, oldest.audio_samples);
        audio_samples_ -= oldest.audio_samples;
        entries_.pop_front();
    }
    while (evicted_.size() > kMaxEvictedRemembered) evicted_.pop_front();
}

void ReplayBuffer::acknowledge(std::int64_t index) {
    while (!evicted_.empty() && evicted_.front().first <= index) evicted_.pop_front();
    while (!entries_.empty() && entries_.front().index <= index) {
        audio_samples_ -= entries_.front().audio_samples;
        entries_.pop_front();
    }
}

ReplayBuffer::Resend ReplayBuffer::resend_after(std::int64_t index) {
    acknowledge(index);
    Resend resend;
    for (const auto& [evicted_index, samples] : evicted_) {
        if (evicted_index > index)
            resend.lost_samples += samples;
    }
    evicted_.clear();
    // The server numbers what arrives from index + 1 on; what it never got is gone, so the
    // kept entries take the numbers right after its count.
    std::int64_t next = index + 1;
    for (auto& entry : entries_) {
        entry.index = next++;
        resend.entries.push_back(entry);
    }
    resend.next_index = next;
    return resend;
}

void ReplayBuffer::set_max_audio_samples(std::size_t max_audio_samples) {
    PARLEY_DCHECK(max_audio_samples > 0);
    max_audio_samples_ = max_audio_samples;
}

void ReplayBuffer::clear() {
    entries_.clear();
    evicted_.clear();
    audio_samples_ = 0;
}

}  // namespace parley::session

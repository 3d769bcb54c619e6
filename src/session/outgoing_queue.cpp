// SPDX-License-Identifier: Apache-2.0
#include "session/outgoing_queue.hpp"

#include <algorithm>

#include "base/check.hpp"

namespace parley::session {

OutgoingQueue::OutgoingQueue(std::size_t max_audio_samples, std::size_t chunk_samples)
    : max_audio_samples_(max_audio_samples), chunk_samples_(chunk_samples) {
    PARLEY_DCHECK(max_audio_samples > 0 && chunk_samples > 0);
}

std::size_t OutgoingQueue::push_audio(std::span<const std::int16_t> samples) {
    std::lock_guard lock(mutex_);
    // More than the bound in one call: only its newest part can ever be sent.
    std::size_t dropped = 0;
    if (samples.size() > max_audio_samples_) {
        dropped = samples.size() - max_audio_samples_;
        samples = samples.subspan(dropped);
    }
    while (!samples.empty()) {
        if (items_.empty() || !items_.back().is_audio ||
            items_.back().samples.size() >= chunk_samples_) {
            items_.push_back(Item{.is_audio = true, .samples = {}, .message = {}});
            items_.back().samples.reserve(chunk_samples_);
        }
        auto& back = items_.back().samples;
        const std::size_t take = std::min(samples.size(), chunk_samples_ - back.size());
        back.insert(back.end(), samples.begin(),
                    samples.begin() + static_cast<std::ptrdiff_t>(take));
        pending_audio_ += take;
        samples = samples.subspan(take);
    }
    // Drop the oldest audio until the bound holds; control messages keep their place.
    auto it = items_.begin();
    while (pending_audio_ > max_audio_samples_ && it != items_.end()) {
        if (!it->is_audio) {
            ++it;
            continue;
        }
        const std::size_t excess = pending_audio_ - max_audio_samples_;
        if (it->samples.size() <= excess) {
            pending_audio_ -= it->samples.size();
            dropped += it->samples.size();
            it = items_.erase(it);
        } else {
            it->samples.erase(it->samples.begin(),
                              it->samples.begin() + static_cast<std::ptrdiff_t>(excess));
            pending_audio_ -= excess;
            dropped += excess;
        }
    }
    dropped_ += dropped;
    return dropped;
}

void OutgoingQueue::push_message(std::string message) {
    std::lock_guard lock(mutex_);
    items_.push_back(Item{.is_audio = false, .samples = {}, .message = std::move(message)});
}

std::optional<OutgoingQueue::Item> OutgoingQueue::pop() {
    std::lock_guard lock(mutex_);
    if (items_.empty())
        return std::nullopt;
    Item item = std::move(items_.front());
    items_.pop_front();
    if (item.is_audio)
        pending_audio_ -= item.samples.size();
    return item;
}

void OutgoingQueue::set_max_audio_samples(std::size_t max_audio_samples) {
    PARLEY_DCHECK(max_audio_samples > 0);
    std::lock_guard lock(mutex_);
    max_audio_samples_ = max_audio_samples;
}

void OutgoingQueue::clear() {
    std::lock_guard lock(mutex_);
    items_.clear();
    pending_audio_ = 0;
}

bool OutgoingQueue::empty() const {
    std::lock_guard lock(mutex_);
    return items_.empty();
}

std::size_t OutgoingQueue::pending_audio_samples() const {
    std::lock_guard lock(mutex_);
    return pending_audio_;
}

std::uint64_t OutgoingQueue::dropped_samples() const {
    std::lock_guard lock(mutex_);
    return dropped_;
}

}  // namespace parley::session

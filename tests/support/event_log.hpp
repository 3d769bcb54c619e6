// SPDX-License-Identifier: Apache-2.0
// EventLog: a ConversationSink for tests that keeps every event in order and lets the test
// thread wait for the ones it expects. Events arrive on the Conversation's io thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "parley/conversation.hpp"

namespace parley::test {

class EventLog final : public ConversationSink {
public:
    void on_event(const ConversationEvent& event) override {
        std::lock_guard lock(mutex_);
        events_.push_back(event);
        changed_.notify_all();
    }

    // Index of the first event at or after `from` that satisfies `pred`.
    std::optional<std::size_t> wait(const std::function<bool(const ConversationEvent&)>& pred,
                                    std::size_t from = 0,
                                    std::chrono::seconds timeout = std::chrono::seconds(60)) {
        std::unique_lock lock(mutex_);
        std::optional<std::size_t> found;
        changed_.wait_for(lock, timeout, [&] {
            for (std::size_t i = from; i < events_.size(); ++i) {
                if (pred(events_[i])) {
                    found = i;
                    return true;
                }
            }
            return false;
        });
        return found;
    }
    std::optional<std::size_t> wait_type(ConversationEventType type, std::size_t from = 0,
                                         std::chrono::seconds timeout = std::chrono::seconds(60)) {
        return wait([type](const ConversationEvent& e) { return e.type == type; }, from, timeout);
    }

    std::vector<ConversationEvent> events() const {
        std::lock_guard lock(mutex_);
        return events_;
    }
    std::size_t count(ConversationEventType type) const {
        std::lock_guard lock(mutex_);
        std::size_t n = 0;
        for (const auto& e : events_) n += e.type == type ? 1 : 0;
        return n;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<ConversationEvent> events_;
};

}  // namespace parley::test

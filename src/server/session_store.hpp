// SPDX-License-Identifier: Apache-2.0
// SessionStore: what a resumable session keeps between connections (its conversation history),
// found by the opaque handles sent in sessionResumptionUpdate. Every handle issued for a session
// leads to the same state; handles expire a while after the session was last used. io only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/brain.hpp"
#include "server/user_input.hpp"
#include "server/work_pool.hpp"

namespace parley::server {

class ServerSession;

// The conversation of one logical session, shared by the connection serving it and the store.
struct SessionState {
    std::vector<HistoryEntry> history;
    bool connected = false;  // a connection is serving it now
    std::chrono::steady_clock::time_point last_used = std::chrono::steady_clock::now();

    // The listening half outlives a connection, so audio on a resumed connection continues the
    // user's utterance where the lost one stopped, and nothing is heard twice. Its events go to
    // `listener`, the connection serving the session now (io only).
    std::shared_ptr<WorkQueue> input_queue;
    std::shared_ptr<UserInput> input;
    std::weak_ptr<ServerSession> listener;
    std::vector<UserTurn> unheard_turns;  // recognized while no connection served the session
    // Client messages consumed, over all connections (transparent resumption's
    // lastConsumedClientMessageIndex + 1).
    std::int64_t consumed_messages = 0;
    bool reply_owed = false;  // a connection ended before the reply to the user was generated
    // Model turns whose turnComplete was sent, and what the last one added to `history`.
    std::uint64_t replies_completed = 0;
    std::size_t history_after_reply = 0;
    std::size_t reply_entries = 0;
};

// Where a handle leads: the session, and how many of its replies had completed when the handle
// was issued.
struct ResumePoint {
    std::shared_ptr<SessionState> state;  // null when the handle is unknown or expired
    std::uint64_t replies_completed = 0;
};

class SessionStore {
public:
    using Clock = std::chrono::steady_clock;

    explicit SessionStore(std::chrono::minutes ttl) : ttl_(ttl) {}

    // A fresh handle (128 random bits, hex) that leads to `state`.
    [[nodiscard]] std::string issue(const std::shared_ptr<SessionState>& state);
    [[nodiscard]] ResumePoint find(const std::string& handle);
    // Marks `state` as used now, so its handles live on.
    void touch(const std::shared_ptr<SessionState>& state);
    [[nodiscard]] std::size_t size() const { return handles_.size(); }

private:
    void expire();

    std::chrono::minutes ttl_;
    std::unordered_map<std::string, ResumePoint> handles_;
};

}  // namespace parley::server

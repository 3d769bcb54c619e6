// SPDX-License-Identifier: Apache-2.0
#include "server/session_store.hpp"

#include <array>
#include <cstdio>
#include <random>

namespace parley::server {

std::string SessionStore::issue(const std::shared_ptr<SessionState>& state) {
    expire();
    static thread_local std::random_device entropy;
    std::array<unsigned, 4> words{};
    for (auto& w : words) w = entropy();
    char text[33];
    std::snprintf(text, sizeof text, "%08x%08x%08x%08x", words[0], words[1], words[2], words[3]);
    handles_[text] = {state, state->replies_completed};
    touch(state);
    return text;
}

ResumePoint SessionStore::find(const std::string& handle) {
    expire();
    const auto it = handles_.find(handle);
    return it == handles_.end() ? ResumePoint{} : it->second;
}

void SessionStore::touch(const std::shared_ptr<SessionState>& state) {
    state->last_used = Clock::now();
}

void SessionStore::expire() {
    const auto now = Clock::now();
    std::erase_if(handles_, [&](const auto& entry) {
        const auto& state = entry.second.state;
        return !state->connected && now - state->last_used > ttl_;
    });
}

}  // namespace parley::server

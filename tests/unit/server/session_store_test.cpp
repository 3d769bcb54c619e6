// SPDX-License-Identifier: Apache-2.0
#include "server/session_store.hpp"

#include <gtest/gtest.h>

namespace parley::server {
namespace {

TEST(SessionStore, EveryHandleOfASessionLeadsToItsHistory) {
    SessionStore store(std::chrono::minutes(120));
    auto state = std::make_shared<SessionState>();
    state->history.push_back(HistoryEntry::user("say purple elephants"));
    const auto first = store.issue(state);
    const auto second = store.issue(state);
    EXPECT_NE(first, second);
    EXPECT_EQ(first.size(), 32u);
    EXPECT_EQ(store.find(first).state, state);
    EXPECT_EQ(store.find(second).state, state);
    EXPECT_EQ(store.find("no-such-handle").state, nullptr);
}

TEST(SessionStore, AHandleRemembersHowManyRepliesHadCompletedWhenItWasIssued) {
    SessionStore store(std::chrono::minutes(120));
    auto state = std::make_shared<SessionState>();
    const auto before = store.issue(state);
    state->replies_completed = 1;
    const auto after = store.issue(state);
    EXPECT_EQ(store.find(before).replies_completed, 0u);
    EXPECT_EQ(store.find(after).replies_completed, 1u);
}

TEST(SessionStore, HandlesExpireOnlyWhenTheSessionIsIdleLongEnough) {
    SessionStore store(std::chrono::minutes(0));
    auto state = std::make_shared<SessionState>();
    state->connected = true;
    const auto handle = store.issue(state);
    EXPECT_EQ(store.find(handle).state, state) << "a connected session never expires";
    state->connected = false;
    state->last_used -= std::chrono::minutes(1);
    EXPECT_EQ(store.find(handle).state, nullptr);
}

}  // namespace
}  // namespace parley::server

// SPDX-License-Identifier: Apache-2.0
// ReplayBuffer: what a resume sends again after the server says how far it got, what the audio
// bound evicts, and what is then counted as lost.
#include "session/replay_buffer.hpp"

#include <gtest/gtest.h>

namespace parley::session {
namespace {

std::vector<std::string> messages_of(const ReplayBuffer::Resend& resend) {
    std::vector<std::string> out;
    for (const auto& e : resend.entries) out.push_back(e.message);
    return out;
}

TEST(ReplayBufferTest, ResendsWhatTheServerDidNotConsumeRenumbered) {
    ReplayBuffer buffer(10'000);
    for (int i = 0; i < 6; ++i) buffer.record(i, "m" + std::to_string(i), i == 2 ? 0 : 1600);
    buffer.acknowledge(1);
    EXPECT_EQ(buffer.size(), 4u);
    EXPECT_EQ(buffer.audio_samples(), 3u * 1600);
    const auto resend = buffer.resend_after(3);
    EXPECT_EQ(messages_of(resend), (std::vector<std::string>{"m4", "m5"}));
    EXPECT_EQ(resend.entries[0].index, 4);
    EXPECT_EQ(resend.next_index, 6);
    EXPECT_EQ(resend.lost_samples, 0u);
    EXPECT_EQ(buffer.size(), 2u) << "kept until acknowledged on the new connection";
}

TEST(ReplayBufferTest, NothingConsumedResendsEverything) {
    ReplayBuffer buffer(10'000);
    buffer.record(0, "a", 100);
    buffer.record(1, "b", 100);
    const auto resend = buffer.resend_after(-1);
    EXPECT_EQ(messages_of(resend), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(resend.next_index, 2);
}

TEST(ReplayBufferTest, TheBoundEvictsTheOldestAndAResumeCountsThemLost) {
    ReplayBuffer buffer(3200);
    for (int i = 0; i < 5; ++i) buffer.record(i, "m" + std::to_string(i), 1600);
    EXPECT_EQ(buffer.audio_samples(), 3200u);
    EXPECT_EQ(buffer.size(), 2u);
    // The server had consumed message 1: messages 2 (evicted) is lost, 3 and 4 are resent and
    // take the numbers the server expects next.
    const auto resend = buffer.resend_after(1);
    EXPECT_EQ(resend.lost_samples, 1600u);
    EXPECT_EQ(messages_of(resend), (std::vector<std::string>{"m3", "m4"}));
    EXPECT_EQ(resend.entries[0].index, 2);
    EXPECT_EQ(resend.entries[1].index, 3);
    EXPECT_EQ(resend.next_index, 4);
}

TEST(ReplayBufferTest, EvictedButAcknowledgedIsNotLost) {
    ReplayBuffer buffer(1600);
    for (int i = 0; i < 4; ++i) buffer.record(i, "m" + std::to_string(i), 1600);
    const auto resend = buffer.resend_after(2);
    EXPECT_EQ(resend.lost_samples, 0u);
    EXPECT_EQ(messages_of(resend), (std::vector<std::string>{"m3"}));
}

TEST(ReplayBufferTest, AServerAheadOfUsResendsNothingAndContinuesItsCount) {
    ReplayBuffer buffer(10'000);
    buffer.record(0, "a", 10);
    const auto resend = buffer.resend_after(7);
    EXPECT_TRUE(resend.entries.empty());
    EXPECT_EQ(resend.next_index, 8);
    buffer.clear();
    EXPECT_EQ(buffer.size(), 0u);
    EXPECT_EQ(buffer.audio_samples(), 0u);
}

}  // namespace
}  // namespace parley::session

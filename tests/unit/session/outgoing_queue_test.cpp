// SPDX-License-Identifier: Apache-2.0
// OutgoingQueue: order is kept, audio is coalesced, and past the bound the oldest audio is
// dropped and counted while control messages keep their place.
#include "session/outgoing_queue.hpp"

#include <numeric>
#include <thread>

#include <gtest/gtest.h>

namespace parley::session {
namespace {

std::vector<std::int16_t> ramp(std::size_t n, std::int16_t from) {
    std::vector<std::int16_t> v(n);
    std::iota(v.begin(), v.end(), from);
    return v;
}

TEST(OutgoingQueueTest, AudioIsCoalescedIntoChunksAndKeepsItsOrderWithMessages) {
    OutgoingQueue queue(1000, 100);
    queue.push_audio(ramp(30, 0));
    queue.push_audio(ramp(90, 30));  // fills the first chunk (100) and starts a second (20)
    queue.push_message("end");
    queue.push_audio(ramp(10, 120));
    EXPECT_EQ(queue.pending_audio_samples(), 130u);

    auto first = queue.pop();
    ASSERT_TRUE(first && first->is_audio);
    EXPECT_EQ(first->samples, ramp(100, 0));
    auto second = queue.pop();
    ASSERT_TRUE(second && second->is_audio);
    EXPECT_EQ(second->samples, ramp(20, 100));
    auto message = queue.pop();
    ASSERT_TRUE(message && !message->is_audio);
    EXPECT_EQ(message->message, "end");
    auto third = queue.pop();
    ASSERT_TRUE(third && third->is_audio);
    EXPECT_EQ(third->samples, ramp(10, 120)) << "audio after a message is not merged before it";
    EXPECT_FALSE(queue.pop());
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(queue.dropped_samples(), 0u);
}

TEST(OutgoingQueueTest, PastTheBoundTheOldestAudioIsDroppedAndCounted) {
    OutgoingQueue queue(250, 100);
    queue.push_audio(ramp(100, 0));
    queue.push_message("activityEnd");
    EXPECT_EQ(queue.push_audio(ramp(200, 100)), 50u);
    EXPECT_EQ(queue.pending_audio_samples(), 250u);
    EXPECT_EQ(queue.dropped_samples(), 50u);

    auto first = queue.pop();
    ASSERT_TRUE(first && first->is_audio);
    EXPECT_EQ(first->samples, ramp(50, 50)) << "the oldest 50 samples went";
    auto message = queue.pop();
    ASSERT_TRUE(message && !message->is_audio) << "messages are never dropped";
    std::vector<std::int16_t> rest;
    while (auto item = queue.pop())
        rest.insert(rest.end(), item->samples.begin(), item->samples.end());
    EXPECT_EQ(rest, ramp(200, 100));
}

TEST(OutgoingQueueTest, OneHugePushKeepsOnlyItsNewestPart) {
    OutgoingQueue queue(100, 40);
    EXPECT_EQ(queue.push_audio(ramp(1000, 0)), 900u);
    std::vector<std::int16_t> all;
    while (auto item = queue.pop())
        all.insert(all.end(), item->samples.begin(), item->samples.end());
    EXPECT_EQ(all, ramp(100, 900));
}

TEST(OutgoingQueueTest, ClearEmptiesWithoutCountingDrops) {
    OutgoingQueue queue(100, 40);
    queue.push_audio(ramp(80, 0));
    queue.push_message("x");
    queue.clear();
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(queue.pending_audio_samples(), 0u);
    EXPECT_EQ(queue.dropped_samples(), 0u);
}

TEST(OutgoingQueueTest, ProducersOnManyThreadsLoseNothingUnderTheBound) {
    OutgoingQueue queue(1'000'000, 1600);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&queue] {
            for (int i = 0; i < 500; ++i) queue.push_audio(ramp(160, 0));
        });
    }
    std::size_t popped = 0;
    for (auto& t : threads) t.join();
    while (auto item = queue.pop()) popped += item->samples.size();
    EXPECT_EQ(popped, 4u * 500u * 160u);
}

}  // namespace
}  // namespace parley::session

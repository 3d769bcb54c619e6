// SPDX-License-Identifier: Apache-2.0
#include "server/playback_clock.hpp"

#include <gtest/gtest.h>

namespace parley::server {
namespace {

using namespace std::chrono_literals;
using Clock = PlaybackClock::Clock;

TEST(PlaybackClock, AudioSentAtOncePlaysBackToBack) {
    PlaybackClock clock;
    const auto t0 = Clock::time_point{} + 10s;
    clock.on_sent(t0, 1000ms, 0);
    clock.on_sent(t0, 500ms, 1);
    EXPECT_EQ(clock.playback_end(), t0 + 1500ms);
    EXPECT_EQ(clock.played_by(t0 + 1200ms), 1200ms);
    EXPECT_EQ(clock.sent(), 1500ms);
}

TEST(PlaybackClock, AGapInSendingDelaysPlayback) {
    PlaybackClock clock;
    const auto t0 = Clock::time_point{} + 10s;
    clock.on_sent(t0, 100ms, 0);
    clock.on_sent(t0 + 300ms, 100ms, 0);  // arrives after the first chunk finished
    EXPECT_EQ(clock.playback_end(), t0 + 400ms);
    EXPECT_EQ(clock.played_by(t0 + 350ms), 150ms);
}

TEST(PlaybackClock, SaysHowMuchOfEachSentenceWasHeard) {
    PlaybackClock clock;
    const auto t0 = Clock::time_point{} + 10s;
    clock.on_sent(t0, 1000ms, 0);
    clock.on_sent(t0, 1000ms, 1);
    clock.on_sent(t0, 1000ms, 2);
    const auto marks = clock.played_marks(t0 + 1500ms);
    ASSERT_EQ(marks.size(), 3u);
    EXPECT_DOUBLE_EQ(marks[0].fraction, 1.0);
    EXPECT_DOUBLE_EQ(marks[1].fraction, 0.5);
    EXPECT_DOUBLE_EQ(marks[2].fraction, 0.0);
}

}  // namespace
}  // namespace parley::server

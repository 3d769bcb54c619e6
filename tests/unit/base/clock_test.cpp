// SPDX-License-Identifier: Apache-2.0
#include "base/clock.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

using namespace std::chrono_literals;

TEST(ManualClock, MovesOnlyWhenTold) {
    ManualClock clock;
    const auto start = clock.now();
    clock.advance(10ms);
    EXPECT_EQ(clock.now() - start, 10ms);
}

TEST(ManualClock, SleepUntilJumpsToTheDeadlineAndNeverBack) {
    ManualClock clock;
    clock.sleep_until(clock.now() + 2s);
    EXPECT_EQ(clock.now().time_since_epoch(), 2s);
    clock.sleep_until(clock.now() - 1s);
    EXPECT_EQ(clock.now().time_since_epoch(), 2s);
}

TEST(SteadyClock, IsMonotonic) {
    auto& clock = Clock::steady();
    const auto a = clock.now();
    const auto b = clock.now();
    EXPECT_LE(a, b);
}

}  // namespace
}  // namespace parley

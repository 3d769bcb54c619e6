// SPDX-License-Identifier: Apache-2.0
#include "transport/event_loop.hpp"

#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

namespace parley::transport {
namespace {

TEST(EventLoop, PostRunsOnTheLoopThreadInOrder) {
    EventLoop loop;
    loop.start();
    std::vector<int> order;
    std::promise<bool> on_loop;
    for (int i = 0; i < 5; ++i) loop.post([&order, i] { order.push_back(i); });
    loop.post([&] { on_loop.set_value(loop.in_loop_thread()); });
    auto future = on_loop.get_future();
    ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_TRUE(future.get());
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_FALSE(loop.in_loop_thread());
    loop.stop();
    EXPECT_FALSE(loop.running());
}

TEST(EventLoop, ScheduledCallbackRunsAndCancelledOneDoesNot) {
    EventLoop loop;
    loop.start();
    std::atomic<bool> cancelled_ran{false};
    TimerHandle cancelled =
        loop.schedule(std::chrono::milliseconds(50), [&] { cancelled_ran = true; });
    cancelled.cancel();
    EXPECT_FALSE(cancelled.pending());
    std::promise<void> fired;
    TimerHandle timer = loop.schedule(std::chrono::milliseconds(100), [&] { fired.set_value(); });
    auto future = fired.get_future();
    ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_FALSE(timer.pending());
    EXPECT_FALSE(cancelled_ran.load());
}

TEST(EventLoop, CancelOnTheLoopThreadStopsAnExpiredTimer) {
    EventLoop loop;
    loop.start();
    std::atomic<bool> ran{false};
    std::promise<void> done;
    loop.post([&] {
        TimerHandle timer = loop.schedule(std::chrono::milliseconds(0), [&] { ran = true; });
        // Block io past the deadline, then cancel on io: the callback must not run.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        timer.cancel();
        loop.schedule(std::chrono::milliseconds(30), [&] { done.set_value(); });
    });
    auto future = done.get_future();
    ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_FALSE(ran.load());
}

TEST(EventLoop, WorkPostedBeforeStartRunsAfterStartAndRestartWorks) {
    EventLoop loop;
    std::promise<void> ran;
    loop.post([&] { ran.set_value(); });
    loop.start();
    auto future = ran.get_future();
    ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    loop.stop();
    loop.start();
    std::promise<void> again;
    loop.post([&] { again.set_value(); });
    auto future2 = again.get_future();
    EXPECT_EQ(future2.wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

}  // namespace
}  // namespace parley::transport

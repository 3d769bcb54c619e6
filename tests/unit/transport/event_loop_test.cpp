// SPDX-License-Identifier: Apache-2.0
#include "transport/event_loop.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

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

// A paced task runs on io when it is due, and io still runs posted work and timers between its
// runs; once the task is cleared, io goes back to waiting for work.
TEST(EventLoop, APacedTaskRunsOnIoBesidePostedWorkAndTimers) {
    EventLoop loop;
    loop.start();
    std::atomic<int> runs{0};
    std::atomic<bool> off_io{false};
    loop.set_paced_task([&] {
        if (!loop.in_loop_thread())
            off_io = true;
        ++runs;
        return Clock::steady().now() + std::chrono::milliseconds(5);
    });
    std::promise<bool> posted;
    loop.post([&] { posted.set_value(loop.in_loop_thread()); });
    std::promise<void> fired;
    loop.schedule(std::chrono::milliseconds(20), [&] { fired.set_value(); });
    auto posted_future = posted.get_future();
    auto fired_future = fired.get_future();
    ASSERT_EQ(posted_future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_TRUE(posted_future.get());
    ASSERT_EQ(fired_future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    while (runs.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_FALSE(off_io.load());

    loop.clear_paced_task();
    const int after_clear = runs.load();
    std::promise<void> later;
    loop.post([&] { later.set_value(); });
    auto later_future = later.get_future();
    ASSERT_EQ(later_future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_EQ(runs.load(), after_clear) << "the task ran after clear_paced_task() returned";
}

TEST(EventLoop, APacedTaskCanClearItselfAndIoGoesOn) {
    EventLoop loop;
    loop.start();
    std::atomic<int> runs{0};
    loop.set_paced_task([&] {
        if (++runs == 3)
            loop.clear_paced_task();
        return Clock::steady().now();
    });
    while (runs.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::promise<void> posted;
    loop.post([&] { posted.set_value(); });
    auto future = posted.get_future();
    ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(runs.load(), 3);
}

// A task due in an hour does not keep stop() waiting, and a restarted loop does not run it.
TEST(EventLoop, StopEndsALoopWaitingForItsPacedTaskAndDropsIt) {
    EventLoop loop;
    loop.start();
    std::atomic<int> runs{0};
    loop.set_paced_task([&] {
        ++runs;
        return Clock::steady().now() + std::chrono::hours(1);
    });
    while (runs.load() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    loop.stop();
    EXPECT_FALSE(loop.running());

    loop.start();
    std::promise<void> posted;
    loop.post([&] { posted.set_value(); });
    auto future = posted.get_future();
    ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(runs.load(), 1);
}

}  // namespace
}  // namespace parley::transport

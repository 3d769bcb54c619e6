// SPDX-License-Identifier: Apache-2.0
#include "device/device_watchdog.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/clock.hpp"
#include "device/null_device.hpp"

namespace parley::device {
namespace {

using std::chrono::milliseconds;

struct Recorder {
    std::vector<DeviceEvent> events;
    std::vector<std::string> details;
    DeviceEventSink sink() {
        return [this](DeviceEvent e, const std::string& d) {
            events.push_back(e);
            details.push_back(d);
        };
    }
};

TEST(DeviceWatchdogTest, NoticesAStalledCallbackReopensAndSeesItRecover) {
    ManualClock clock;
    NullDevice device(NullDeviceOptions{.rate_hz = 16000,
                                        .driver = {.pacing = Pacing::kManual, .clock = &clock}});
    ASSERT_TRUE(device.open());
    ASSERT_TRUE(device.start());
    Recorder recorder;
    DeviceWatchdog watchdog(device, recorder.sink(), {.clock = &clock});

    // Callbacks every 10 ms: healthy.
    for (int i = 0; i < 200; ++i) {
        clock.advance(milliseconds(10));
        device.step();
        watchdog.poll();
    }
    EXPECT_TRUE(recorder.events.empty());

    // The callbacks stop (device unplugged): noticed after a second, not before.
    clock.advance(milliseconds(900));
    watchdog.poll();
    EXPECT_TRUE(recorder.events.empty());
    clock.advance(milliseconds(200));
    watchdog.poll();
    ASSERT_EQ(recorder.events.size(), 2u);
    EXPECT_EQ(recorder.events[0], DeviceEvent::kStalled);
    EXPECT_NE(recorder.details[0].find("1100 ms"), std::string::npos) << recorder.details[0];
    EXPECT_EQ(recorder.events[1], DeviceEvent::kReopened);
    EXPECT_TRUE(watchdog.stalled());
    EXPECT_EQ(watchdog.reopen_attempts(), 1u);

    // Still no callbacks: another reopen after the retry interval, not before.
    clock.advance(milliseconds(500));
    watchdog.poll();
    EXPECT_EQ(watchdog.reopen_attempts(), 1u);
    clock.advance(milliseconds(600));
    watchdog.poll();
    EXPECT_EQ(watchdog.reopen_attempts(), 2u);

    // Callbacks flow again.
    device.step();
    watchdog.poll();
    ASSERT_EQ(recorder.events.back(), DeviceEvent::kRecovered);
    EXPECT_FALSE(watchdog.stalled());
}

TEST(DeviceWatchdogTest, AStoppedDeviceIsNotStalled) {
    ManualClock clock;
    NullDevice device(NullDeviceOptions{.driver = {.pacing = Pacing::kManual, .clock = &clock}});
    ASSERT_TRUE(device.open());
    Recorder recorder;
    DeviceWatchdog watchdog(device, recorder.sink(), {.clock = &clock});
    clock.advance(milliseconds(5000));
    watchdog.poll();
    EXPECT_TRUE(recorder.events.empty());
}

TEST(DeviceWatchdogTest, ThreadModeReportsAStallInRealTime) {
    // A real-time device whose callbacks never come (kManual, never stepped).
    NullDevice device(NullDeviceOptions{.driver = {.pacing = Pacing::kManual}});
    ASSERT_TRUE(device.open());
    ASSERT_TRUE(device.start());
    std::atomic<int> stalls{0};
    DeviceWatchdog watchdog(
        device,
        [&](DeviceEvent e, const std::string&) {
            if (e == DeviceEvent::kStalled)
                stalls.fetch_add(1);
        },
        {.stall_threshold = milliseconds(100), .poll_interval = milliseconds(10), .reopen = false});
    watchdog.start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (stalls.load() == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(milliseconds(5));
    watchdog.stop();
    EXPECT_EQ(stalls.load(), 1);
}

}  // namespace
}  // namespace parley::device

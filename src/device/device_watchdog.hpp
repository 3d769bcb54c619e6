// SPDX-License-Identifier: Apache-2.0
// DeviceWatchdog: notices a device whose callback stopped (unplugged headset, suspended server)
// within about a second, reports it, and reopens the device every retry interval until the
// callbacks flow again. Runs its own thread (start()) or is polled (poll(), for tests with a
// ManualClock). Reports go to one sink on the watchdog's thread (or poll()'s caller); the sink
// must not block and must not call back into the watchdog. Never on rt.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "base/clock.hpp"
#include "device/device.hpp"

namespace parley::device {

enum class DeviceEvent {
    kStalled,       // no callback for longer than the stall threshold
    kReopenFailed,  // a reopen attempt failed (detail: the reason); retried later
    kReopened,      // a reopen succeeded; waiting for callbacks
    kRecovered,     // callbacks flow again after a stall
};

[[nodiscard]] const char* to_string(DeviceEvent event);

// Called with the event and a one-line detail.
using DeviceEventSink = std::function<void(DeviceEvent, const std::string&)>;

struct DeviceWatchdogOptions {
    std::chrono::milliseconds stall_threshold{1000};
    std::chrono::milliseconds poll_interval{100};
    std::chrono::milliseconds retry_interval{1000};
    bool reopen = true;      // false: only report
    Clock* clock = nullptr;  // nullptr: Clock::steady(); not owned
};

class DeviceWatchdog {
public:
    // `device` must outlive the watchdog. The watchdog calls device.reopen() from its thread;
    // do not call the device's control functions concurrently from elsewhere while it runs.
    DeviceWatchdog(Device& device, DeviceEventSink sink, DeviceWatchdogOptions options = {});
    ~DeviceWatchdog();
    DeviceWatchdog(const DeviceWatchdog&) = delete;
    DeviceWatchdog& operator=(const DeviceWatchdog&) = delete;

    // Polls every poll_interval on its own thread until stop(). Idempotent.
    void start();
    void stop();
    // One check at the clock's current time.
    void poll();
    [[nodiscard]] bool stalled() const noexcept { return stalled_.load(); }
    [[nodiscard]] std::uint64_t reopen_attempts() const noexcept { return reopen_attempts_.load(); }

private:
    void try_reopen(Clock::TimePoint now);

    Device& device_;
    DeviceEventSink sink_;
    DeviceWatchdogOptions options_;
    Clock& clock_;
    std::atomic<bool> stalled_{false};
    std::atomic<std::uint64_t> reopen_attempts_{0};
    Clock::TimePoint last_attempt_{};
    std::uint64_t callbacks_at_reopen_ = 0;
    bool reopened_ = false;

    std::mutex mutex_;  // guards stop_ for the thread's timed wait
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace parley::device

// SPDX-License-Identifier: Apache-2.0
#include "device/device_watchdog.hpp"

#include "base/thread_name.hpp"

namespace parley::device {

const char* to_string(DeviceEvent event) {
    switch (event) {
        case DeviceEvent::kStalled:
            return "stalled";
        case DeviceEvent::kReopenFailed:
            return "reopen failed";
        case DeviceEvent::kReopened:
            return "reopened";
        case DeviceEvent::kRecovered:
            return "recovered";
    }
    return "unknown";
}

DeviceWatchdog::DeviceWatchdog(Device& device, DeviceEventSink sink, DeviceWatchdogOptions options)
    : device_(device),
      sink_(std::move(sink)),
      options_(options),
      clock_(options.clock ? *options.clock : Clock::steady()) {}

DeviceWatchdog::~DeviceWatchdog() {
    stop();
}

void DeviceWatchdog::start() {
    if (thread_.joinable())
        return;
    {
        std::lock_guard lock(mutex_);
        stop_ = false;
    }
    thread_ = std::thread([this] {
        name_this_thread("parley-watchdog");
        std::unique_lock lock(mutex_);
        while (!stop_) {
            lock.unlock();
            poll();
            lock.lock();
            wake_.wait_for(lock, options_.poll_interval, [this] { return stop_; });
        }
    });
}

void DeviceWatchdog::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

void DeviceWatchdog::poll() {
    const Clock::TimePoint now = clock_.now();
    if (!stalled_.load()) {
        if (!device_.callback_stalled(now, options_.stall_threshold))
            return;
        stalled_.store(true);
        reopened_ = false;
        const auto silent_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   now - device_.last_callback_time())
                                   .count();
        if (sink_)
            sink_(DeviceEvent::kStalled, "no audio callback from " + device_.name() + " for " +
                                             std::to_string(silent_ms) + " ms");
        try_reopen(now);
        return;
    }
    // Stalled: recovered once callbacks run again after the last reopen (or by themselves).
    const std::uint64_t callbacks = device_.stats().callbacks;
    const bool flowing = reopened_ ? callbacks > callbacks_at_reopen_
                                   : !device_.callback_stalled(now, options_.stall_threshold);
    if (flowing && device_.is_running()) {
        stalled_.store(false);
        if (sink_)
            sink_(DeviceEvent::kRecovered, device_.name() + " delivers audio again");
        return;
    }
    if (now - last_attempt_ >= options_.retry_interval)
        try_reopen(now);
}

void DeviceWatchdog::try_reopen(Clock::TimePoint now) {
    if (!options_.reopen)
        return;
    last_attempt_ = now;
    reopen_attempts_.fetch_add(1);
    callbacks_at_reopen_ = device_.stats().callbacks;
    std::string why;
    if (auto status = device_.reopen(&why); !status) {
        reopened_ = false;
        if (sink_)
            sink_(DeviceEvent::kReopenFailed, why.empty() ? status.error().message() : why);
        return;
    }
    reopened_ = true;
    if (sink_)
        sink_(DeviceEvent::kReopened, "reopened " + device_.name());
}

}  // namespace parley::device

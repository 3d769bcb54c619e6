// SPDX-License-Identifier: Apache-2.0
// Clock: the time source behind every pacing and timeout decision, injectable so tests and the
// sanitizer runs replace waiting with a manual clock. Any context but rt.
#pragma once

#include <atomic>
#include <chrono>

namespace parley {

class Clock {
public:
    using Duration = std::chrono::nanoseconds;
    using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

    virtual ~Clock() = default;
    [[nodiscard]] virtual TimePoint now() const = 0;
    // Blocks the calling thread until `deadline` by this clock.
    virtual void sleep_until(TimePoint deadline) = 0;

    // The process-wide steady clock.
    static Clock& steady();
};

// A clock that only moves when told; sleep_until() advances it to the deadline at once.
// Thread-safe.
class ManualClock final : public Clock {
public:
    [[nodiscard]] TimePoint now() const override { return TimePoint(Duration(now_ns_.load())); }
    void sleep_until(TimePoint deadline) override;
    void advance(Duration by) { now_ns_.fetch_add(by.count()); }

private:
    std::atomic<Duration::rep> now_ns_{0};
};

}  // namespace parley

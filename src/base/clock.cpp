// SPDX-License-Identifier: Apache-2.0
#include "base/clock.hpp"

#include <thread>

namespace parley {
namespace {

class SteadyClock final : public Clock {
public:
    [[nodiscard]] TimePoint now() const override {
        return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
    }
    void sleep_until(TimePoint deadline) override { std::this_thread::sleep_until(deadline); }
};

}  // namespace

Clock& Clock::steady() {
    static SteadyClock clock;
    return clock;
}

void ManualClock::sleep_until(TimePoint deadline) {
    auto current = now_ns_.load();
    const auto target = deadline.time_since_epoch().count();
    while (current < target && !now_ns_.compare_exchange_weak(current, target)) {
    }
}

}  // namespace parley

// SPDX-License-Identifier: Apache-2.0
#include "device/device.hpp"

#include "base/check.hpp"

namespace parley::device {

Device::~Device() = default;

bool Device::ensure_bridge(const RtBridgeOptions& options) {
    if (!bridge_) {
        bridge_ = std::make_unique<RtBridge>(options);
        return true;
    }
    return bridge_->options().input_rate_hz == options.input_rate_hz &&
           bridge_->options().output_rate_hz == options.output_rate_hz;
}

int Device::input_rate_hz() const noexcept {
    PARLEY_DCHECK(bridge_ != nullptr);
    return bridge_->options().input_rate_hz;
}

int Device::output_rate_hz() const noexcept {
    PARLEY_DCHECK(bridge_ != nullptr);
    return bridge_->options().output_rate_hz;
}

dsp::FrameRing& Device::capture_ring() noexcept {
    PARLEY_DCHECK(bridge_ != nullptr);
    return bridge_->capture_ring();
}

dsp::FrameRing& Device::render_ring() noexcept {
    PARLEY_DCHECK(bridge_ != nullptr);
    return bridge_->render_ring();
}

dsp::FrameRing& Device::reference_ring() noexcept {
    PARLEY_DCHECK(bridge_ != nullptr);
    return bridge_->reference_ring();
}

void Device::flush_render() noexcept {
    PARLEY_DCHECK(bridge_ != nullptr);
    bridge_->render_ring().request_flush();
}

DeviceStats Device::stats() const noexcept {
    return bridge_ ? bridge_->stats() : DeviceStats{};
}

Clock::TimePoint Device::last_callback_time() const noexcept {
    return Clock::TimePoint(Clock::Duration(bridge_ ? bridge_->last_callback_ns() : 0));
}

Clock::TimePoint Device::last_capture_time() const noexcept {
    return Clock::TimePoint(Clock::Duration(bridge_ ? bridge_->last_capture_ns() : 0));
}

Clock::TimePoint Device::last_render_time() const noexcept {
    return Clock::TimePoint(Clock::Duration(bridge_ ? bridge_->last_render_ns() : 0));
}

bool Device::callback_stalled(Clock::TimePoint now,
                              std::chrono::nanoseconds threshold) const noexcept {
    return bridge_ != nullptr && is_running() && now - last_callback_time() > threshold;
}

}  // namespace parley::device

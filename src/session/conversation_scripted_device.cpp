// SPDX-License-Identifier: Apache-2.0
// ScriptedDevice (see conversation_scripted_device.hpp).
#include "session/conversation_scripted_device.hpp"

namespace parley::session {

ScriptedDevice::ScriptedDevice(int rate_hz, device::SimulatedDeviceOptions options)
    : SimulatedDevice(std::move(options)), rate_hz_(rate_hz) {}

ScriptedDevice::~ScriptedDevice() {
    close();
}

Status ScriptedDevice::open(std::string* why) {
    return open_at(rate_hz_, 0, why);
}

void ScriptedDevice::say(std::span<const std::int16_t> pcm) {
    std::lock_guard lock(mutex_);
    pending_.insert(pending_.end(), pcm.begin(), pcm.end());
}

bool ScriptedDevice::speaking() const {
    std::lock_guard lock(mutex_);
    return !pending_.empty();
}

void ScriptedDevice::fill_input(std::span<std::int16_t> in) {
    std::lock_guard lock(mutex_);
    for (auto& sample : in) {
        // A faint room noise floor (about -66 dBFS) under the speech.
        noise_state_ = noise_state_ * 1664525U + 1013904223U;
        const auto noise =
            static_cast<std::int16_t>(static_cast<int>(noise_state_ >> 24) - 128) / 8;
        if (pending_.empty()) {
            sample = static_cast<std::int16_t>(noise);
        } else {
            sample = static_cast<std::int16_t>(pending_.front() + noise);
            pending_.pop_front();
        }
    }
}

}  // namespace parley::session

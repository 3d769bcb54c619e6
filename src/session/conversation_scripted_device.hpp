// SPDX-License-Identifier: Apache-2.0
// ScriptedDevice: a simulated Device whose microphone plays utterances queued by a script at run
// time (say()), with silence in between, for `parley demo` and tests: the script can speak over
// the model at a moment it chooses. The speaker output is discarded (the echo path, if any, puts
// it back into the microphone). say() from any thread; the driver reads on its own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "device/simulated_device.hpp"

namespace parley::session {

class ScriptedDevice final : public device::SimulatedDevice {
public:
    ScriptedDevice(int rate_hz, device::SimulatedDeviceOptions options);
    ~ScriptedDevice() override;

    [[nodiscard]] Status open(std::string* why = nullptr) override;
    [[nodiscard]] std::string name() const override { return "scripted microphone"; }

    // Queues `pcm` (mono, at the device rate) to be "spoken" into the microphone after anything
    // queued before it.
    void say(std::span<const std::int16_t> pcm);
    // True while queued speech is still being captured.
    [[nodiscard]] bool speaking() const;

protected:
    void fill_input(std::span<std::int16_t> in) override;
    void consume_output(std::span<const std::int16_t> /*out*/) override {}

private:
    int rate_hz_;
    mutable std::mutex mutex_;
    std::deque<std::int16_t> pending_;
    std::uint32_t noise_state_ = 12345;
};

}  // namespace parley::session

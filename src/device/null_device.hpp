// SPDX-License-Identifier: Apache-2.0
// NullDevice: a Device that captures silence and discards what it plays, paced in real time,
// unpaced or stepped by hand (SimulatedDevice), for `parley talk --no-audio`, benchmarks and
// tests of the dsp thread. Control thread + driver.
#pragma once

#include <string>

#include "device/simulated_device.hpp"

namespace parley::device {

struct NullDeviceOptions {
    int rate_hz = 48000;
    SimulatedDeviceOptions driver{};
};

class NullDevice final : public SimulatedDevice {
public:
    explicit NullDevice(NullDeviceOptions options);
    ~NullDevice() override;

    // Builds the rings. Errors: DeviceError::kInvalidConfig (rate, block sizes).
    [[nodiscard]] Status open(std::string* why = nullptr) override;
    [[nodiscard]] std::string name() const override { return "null"; }

protected:
    void fill_input(std::span<std::int16_t> in) override;
    void consume_output(std::span<const std::int16_t> /*out*/) override {}

private:
    int rate_hz_;
};

}  // namespace parley::device

// SPDX-License-Identifier: Apache-2.0
#include "device/null_device.hpp"

#include <algorithm>

namespace parley::device {

NullDevice::NullDevice(NullDeviceOptions options)
    : SimulatedDevice(std::move(options.driver)), rate_hz_(options.rate_hz) {}

NullDevice::~NullDevice() {
    stop();
}

Status NullDevice::open(std::string* why) {
    return open_at(rate_hz_, 0, why);
}

void NullDevice::fill_input(std::span<std::int16_t> in) {
    std::fill(in.begin(), in.end(), std::int16_t{0});
}

}  // namespace parley::device

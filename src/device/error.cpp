// SPDX-License-Identifier: Apache-2.0
#include "device/error.hpp"

#include <string>

namespace parley::device {
namespace {

class DeviceCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "parley.device"; }

    std::string message(int ev) const override {
        switch (static_cast<DeviceError>(ev)) {
            case DeviceError::kNoSuchDevice:
                return "no audio device matches; `parley devices` lists them";
            case DeviceError::kNoChannels:
                return "the audio device has no channels in that direction; pick another with "
                       "`parley devices`";
            case DeviceError::kUnsupportedFormat:
                return "the audio device refused 16-bit PCM at every rate tried; pick another "
                       "device or rate";
            case DeviceError::kBackendFailed:
                return "the audio system (PortAudio) could not start: check the sound setup";
            case DeviceError::kOpenFailed:
                return "cannot open the audio device: is it in use or unplugged?";
            case DeviceError::kStartFailed:
                return "the audio device opened but would not start: is it in use or unplugged?";
            case DeviceError::kNotOpen:
                return "the audio device is not open: call open() first";
            case DeviceError::kInvalidConfig:
                return "invalid audio device setting: check the value against its documented "
                       "range";
        }
        return "unknown device error";
    }

    std::error_condition default_error_condition(int ev) const noexcept override {
        switch (static_cast<DeviceError>(ev)) {
            case DeviceError::kNoSuchDevice:
            case DeviceError::kNoChannels:
            case DeviceError::kBackendFailed:
            case DeviceError::kOpenFailed:
            case DeviceError::kStartFailed:
                return make_error_condition(DeviceCondition::kDeviceUnavailable);
            case DeviceError::kUnsupportedFormat:
            case DeviceError::kNotOpen:
            case DeviceError::kInvalidConfig:
                return make_error_condition(DeviceCondition::kBadConfig);
        }
        return std::error_condition(ev, *this);
    }
};

class DeviceConditionCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "parley.device.condition"; }

    std::string message(int ev) const override {
        switch (static_cast<DeviceCondition>(ev)) {
            case DeviceCondition::kDeviceUnavailable:
                return "audio device unavailable";
            case DeviceCondition::kBadConfig:
                return "invalid audio device configuration";
        }
        return "unknown device condition";
    }
};

}  // namespace

const std::error_category& device_category() noexcept {
    static const DeviceCategory category;
    return category;
}

const std::error_category& device_condition_category() noexcept {
    static const DeviceConditionCategory category;
    return category;
}

std::error_code make_error_code(DeviceError e) noexcept {
    return {static_cast<int>(e), device_category()};
}

std::error_condition make_error_condition(DeviceCondition c) noexcept {
    return {static_cast<int>(c), device_condition_category()};
}

}  // namespace parley::device

// SPDX-License-Identifier: Apache-2.0
// The device layer's error codes (DeviceError) and their std::error_category, in the style of
// Beast's websocket/error.hpp: one enum, one category, and conditions (DeviceCondition) that group
// codes. Details that a code cannot carry (the device name asked for, PortAudio's own text) go to
// the `why` string of the failing call. Any context; building an error_code never allocates.
#pragma once

#include <system_error>

namespace parley::device {

enum class DeviceError {
    kNoSuchDevice = 1,   // no audio device matches the name or index asked for
    kNoChannels,         // the device has no input (or no output) channels
    kUnsupportedFormat,  // the device refused mono/stereo PCM16 at every rate tried
    kBackendFailed,      // PortAudio itself could not start (no host API, broken install)
    kOpenFailed,         // the stream could not be opened
    kStartFailed,        // the stream opened but would not start
    kNotOpen,            // start() or reopen() before a successful open()
    kInvalidConfig,      // a setting outside its documented range
};

// Groups of DeviceError for callers that only care about the kind of failure.
enum class DeviceCondition {
    kDeviceUnavailable =
        1,       // kNoSuchDevice, kNoChannels, kOpenFailed, kStartFailed, kBackendFailed
    kBadConfig,  // kUnsupportedFormat, kInvalidConfig, kNotOpen
};

[[nodiscard]] const std::error_category& device_category() noexcept;
[[nodiscard]] const std::error_category& device_condition_category() noexcept;
[[nodiscard]] std::error_code make_error_code(DeviceError e) noexcept;
[[nodiscard]] std::error_condition make_error_condition(DeviceCondition c) noexcept;

}  // namespace parley::device

template <>
struct std::is_error_code_enum<parley::device::DeviceError> : std::true_type {};
template <>
struct std::is_error_condition_enum<parley::device::DeviceCondition> : std::true_type {};

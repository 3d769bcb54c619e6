// SPDX-License-Identifier: Apache-2.0
// What the sound-card backends share when a user names a device ("" or "default", an index, a part
// of a name, any case) and when they fail with a one-line reason. Control thread.
#pragma once

#include <string>

#include "base/result.hpp"
#include "device/error.hpp"

namespace parley::device {

// The ASCII lower-case copy of `s`, for case-insensitive name matching.
[[nodiscard]] std::string lower(std::string s);
// True for a non-empty string of decimal digits: a device index.
[[nodiscard]] bool all_digits(const std::string& s);
// Fails with `e`, and `text` in `why` when the caller asked for it.
[[nodiscard]] Status fail_with(DeviceError e, std::string* why, std::string text);

}  // namespace parley::device

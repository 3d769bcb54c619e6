// SPDX-License-Identifier: Apache-2.0
#include "device/device_spec.hpp"

#include <algorithm>
#include <cctype>

namespace parley::device {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool all_digits(const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

Status fail_with(DeviceError e, std::string* why, std::string text) {
    if (why)
        *why = std::move(text);
    return fail(e);
}

}  // namespace parley::device

// SPDX-License-Identifier: Apache-2.0
// proto3 JSON durations ("50s", "0.440s", "-1.5s") <-> std::chrono::nanoseconds, as used by
// goAway.timeLeft and voiceActivity.audioOffset. Pure functions, any context.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace parley::protocol {

using Duration = std::chrono::nanoseconds;

// Parses "<seconds>[.<up to 9 digits>]s" with an optional leading '-'. nullopt when malformed
// or out of range (proto limit: ±315,576,000,000 s).
[[nodiscard]] std::optional<Duration> parse_duration(std::string_view text) noexcept;

// Formats like protobuf does: "50s", "0.440s", "1.000001s", "-0.5" -> "-0.500s" (0, 3, 6 or 9
// fractional digits).
[[nodiscard]] std::string format_duration(Duration d);

}  // namespace parley::protocol

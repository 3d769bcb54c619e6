// SPDX-License-Identifier: Apache-2.0
// Logging for every layer but rt: a thin wrapper over spdlog so the rest of the code does not
// depend on its version. Lines go to stderr. Secrets never reach it: callers pass redact()ed
// values, and the logger itself masks anything that looks like a Google API key or token.
#pragma once

#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace parley::log {

enum class Level { kDebug, kInfo, kWarn, kError, kOff };

// Sets the level of every Parley log line; default kInfo.
void set_level(Level level);

// Parses "debug", "info", "warn", "error" or "off"; nullopt-like false for anything else.
[[nodiscard]] bool parse_level(std::string_view text, Level& level);

// Masks API keys (AIza…), OAuth tokens (ya29.…), ephemeral tokens (auth_tokens/…) and the value
// of `key=` / `access_token=` query parameters in a string that may carry them.
[[nodiscard]] std::string redact(std::string_view text);

template <typename... Args>
void debug(spdlog::format_string_t<Args...> fmt, Args&&... args) {
    spdlog::debug(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void info(spdlog::format_string_t<Args...> fmt, Args&&... args) {
    spdlog::info(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void warn(spdlog::format_string_t<Args...> fmt, Args&&... args) {
    spdlog::warn(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void error(spdlog::format_string_t<Args...> fmt, Args&&... args) {
    spdlog::error(fmt, std::forward<Args>(args)...);
}

}  // namespace parley::log

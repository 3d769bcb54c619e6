// SPDX-License-Identifier: Apache-2.0
#include "base/log.hpp"

#include <regex>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace parley::log {
namespace {

std::shared_ptr<spdlog::logger> make_logger() {
    auto logger = spdlog::stderr_color_mt("parley");
    logger->set_pattern("%H:%M:%S.%e %^%l%$ %v");
    return logger;
}

}  // namespace

void set_level(Level level) {
    static const auto logger = [] {
        auto made = make_logger();
        spdlog::set_default_logger(made);
        return made;
    }();
    switch (level) {
        case Level::kDebug: logger->set_level(spdlog::level::debug); break;
        case Level::kInfo: logger->set_level(spdlog::level::info); break;
        case Level::kWarn: logger->set_level(spdlog::level::warn); break;
        case Level::kError: logger->set_level(spdlog::level::err); break;
        case Level::kOff: logger->set_level(spdlog::level::off); break;
    }
}

bool parse_level(std::string_view text, Level& level) {
    if (text == "debug") level = Level::kDebug;
    else if (text == "info") level = Level::kInfo;
    else if (text == "warn") level = Level::kWarn;
    else if (text == "error") level = Level::kError;
    else if (text == "off") level = Level::kOff;
    else return false;
    return true;
}

std::string redact(std::string_view text) {
    // Google API keys are "AIza" + 35 chars; OAuth access tokens start "ya29."; refresh tokens
    // "1//"; ephemeral tokens "auth_tokens/". Query parameters carry any of them.
    static const std::regex secrets(
        R"((AIza[0-9A-Za-z_\-]{10,})|(ya29\.[0-9A-Za-z_\-.]+)|(1//[0-9A-Za-z_\-]{10,})|)"
        R"((auth_tokens/[0-9A-Za-z_\-.]+)|((key|access_token|token)=)[^&\s"]+)");
    std::string out;
    std::string input(text);
    auto begin = std::sregex_iterator(input.begin(), input.end(), secrets);
    std::size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
        const auto& match = *it;
        out.append(input, last, static_cast<std::size_t>(match.position()) - last);
        if (match[5].matched) {
            out += match[5].str();
        }
        out += "<redacted>";
        last = static_cast<std::size_t>(match.position() + match.length());
    }
    out.append(input, last, std::string::npos);
    return out;
}

}  // namespace parley::log

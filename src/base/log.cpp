// SPDX-License-Identifier: Apache-2.0
#include "base/log.hpp"

#include <cctype>

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

namespace {

bool is_token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

// Length of the run of token characters (plus '.' when `dots`) starting at `from`.
std::size_t token_length(std::string_view text, std::size_t from, bool dots) {
    std::size_t end = from;
    while (end < text.size() && (is_token_char(text[end]) || (dots && text[end] == '.'))) ++end;
    return end - from;
}

struct SecretShape {
    std::string_view prefix;
    std::size_t min_length;  // of the token after the prefix
    bool dots;
};

// Google API keys are "AIza" + 35 chars; OAuth access tokens start "ya29."; refresh tokens
// "1//"; ephemeral tokens "auth_tokens/".
constexpr SecretShape kSecretShapes[] = {
    {"AIza", 10, false}, {"ya29.", 1, true}, {"1//", 10, false}, {"auth_tokens/", 1, true}};
// Query parameters that carry any of them; the name is kept, the value masked.
constexpr std::string_view kSecretParameters[] = {"key=", "access_token=", "token="};

}  // namespace

std::string redact(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        bool masked = false;
        for (const auto& shape : kSecretShapes) {
            if (text.substr(i).starts_with(shape.prefix)) {
                const auto length = token_length(text, i + shape.prefix.size(), shape.dots);
                if (length >= shape.min_length) {
                    out += "<redacted>";
                    i += shape.prefix.size() + length;
                    masked = true;
                    break;
                }
            }
        }
        if (masked) continue;
        for (const auto name : kSecretParameters) {
            const bool at_word_start = i == 0 || !is_token_char(text[i - 1]);
            if (at_word_start && text.substr(i).starts_with(name)) {
                std::size_t end = i + name.size();
                while (end < text.size() && text[end] != '&' && text[end] != '"' &&
                       std::isspace(static_cast<unsigned char>(text[end])) == 0) {
                    ++end;
                }
                out += name;
                out += "<redacted>";
                i = end;
                masked = true;
                break;
            }
        }
        if (masked) continue;
        out += text[i++];
    }
    return out;
}

}  // namespace parley::log

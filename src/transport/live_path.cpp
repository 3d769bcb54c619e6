// SPDX-License-Identifier: Apache-2.0
// Live API path recognition (LIVE_PROTOCOL.md §11.1).
#include "transport/live_path.hpp"

#include <cctype>

namespace parley::transport {
namespace {

constexpr std::string_view kGeminiStem = "/ws/google.ai.generativelanguage.";
constexpr std::string_view kGeminiMethod = ".GenerativeService.BidiGenerateContent";
constexpr std::string_view kConstrainedSuffix = "Constrained";
constexpr std::string_view kVertexStem = "/ws/google.cloud.aiplatform.";
constexpr std::string_view kVertexMethod = ".LlmBidiService/BidiGenerateContent";

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            int hi = hex_value(text[i + 1]);
            int lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

// A version segment: "v1beta", "v1alpha", "v1beta1", "v1" - letters and digits only.
bool is_version(std::string_view v) {
    if (v.size() < 2 || v.front() != 'v')
        return false;
    for (char c : v) {
        if (!std::isalnum(static_cast<unsigned char>(c)))
            return false;
    }
    return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string collapse_slashes(std::string_view path) {
    std::string out;
    out.reserve(path.size());
    for (char c : path) {
        if (c == '/' && !out.empty() && out.back() == '/')
            continue;
        out += c;
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (part.empty())
            continue;
        auto eq = part.find('=');
        std::string_view name = part.substr(0, eq);
        std::string_view value =
            eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
        out.emplace_back(percent_decode(name), percent_decode(value));
    }
    return out;
}

std::optional<LivePath> parse_live_path(std::string_view target) {
    auto qmark = target.find('?');
    std::string_view raw_path = target.substr(0, qmark);
    std::string_view query =
        qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1);

    LivePath out;
    out.normalized = collapse_slashes(raw_path);
    std::string_view path = out.normalized;
    if (path.size() > 1 && path.back() == '/')
        path.remove_suffix(1);

    // Gemini API:
    // {prefix}/ws/google.ai.generativelanguage.{ver}.GenerativeService.BidiGenerateContent[Constrained]
    if (auto stem = path.rfind(kGeminiStem); stem != std::string_view::npos) {
        std::string_view tail = path.substr(stem + kGeminiStem.size());
        if (ends_with(tail, kConstrainedSuffix)) {
            out.constrained = true;
            tail.remove_suffix(kConstrainedSuffix.size());
        }
        if (ends_with(tail, kGeminiMethod)) {
            std::string_view version = tail.substr(0, tail.size() - kGeminiMethod.size());
            if (is_version(version)) {
                out.backend = LiveBackend::kGeminiApi;
                out.api_version = std::string(version);
                out.prefix = std::string(path.substr(0, stem));
            }
        }
    }
    // Vertex AI: {prefix}/ws/google.cloud.aiplatform.{ver}.LlmBidiService/BidiGenerateContent
    if (out.api_version.empty()) {
        out.constrained = false;
        auto stem = path.rfind(kVertexStem);
        if (stem == std::string_view::npos)
            return std::nullopt;
        std::string_view tail = path.substr(stem + kVertexStem.size());
        if (!ends_with(tail, kVertexMethod))
            return std::nullopt;
        std::string_view version = tail.substr(0, tail.size() - kVertexMethod.size());
        if (!is_version(version))
            return std::nullopt;
        out.backend = LiveBackend::kVertex;
        out.api_version = std::string(version);
        out.prefix = std::string(path.substr(0, stem));
    }
    for (auto& [name, value] : parse_query(query)) {
        if (name == "key" && out.key.empty())
            out.key = std::move(value);
        if (name == "access_token" && out.access_token.empty())
            out.access_token = std::move(value);
    }
    return out;
}

}  // namespace parley::transport

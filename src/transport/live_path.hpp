// SPDX-License-Identifier: Apache-2.0
// Recognises the request targets of the Live API's BidiGenerateContent WebSocket (LIVE_PROTOCOL.md
// §1, §10, §11): collapses repeated '/', allows a prefix, and reports backend, API version,
// constrained (ephemeral token) endpoint and the `key` / `access_token` query values. Used by the
// server's upgrade handler on io; pure, any context.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::transport {

enum class LiveBackend { kGeminiApi, kVertex };

struct LivePath {
    LiveBackend backend = LiveBackend::kGeminiApi;
    std::string api_version;   // "v1beta", "v1alpha", "v1beta1", ...
    bool constrained = false;  // ...BidiGenerateContentConstrained (ephemeral tokens)
    std::string prefix;        // normalized part before "/ws/", e.g. "/proxy"; empty for none
    std::string normalized;    // the path with repeated '/' collapsed, no query
    std::string key;           // ?key= (percent-decoded), empty if absent
    std::string access_token;  // ?access_token= (percent-decoded), empty if absent
};

// The Live path in `target` (path plus optional query), or nullopt if it is not one, e.g.
// "//ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent?key=K",
// "/proxy/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained?access_token=T",
// "//ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent".
[[nodiscard]] std::optional<LivePath> parse_live_path(std::string_view target);

// `path` with every run of '/' collapsed to one.
[[nodiscard]] std::string collapse_slashes(std::string_view path);

// The query of a target ("a=1&b=%2F") as decoded name/value pairs, in order. '+' stays '+'
// (the SDKs append keys verbatim, and tokens may contain it).
[[nodiscard]] std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

}  // namespace parley::transport

// SPDX-License-Identifier: Apache-2.0
// resolve_endpoint: the pure function that turns a LiveSessionConfig plus the environment into
// the WebSocket URL, upgrade headers and full model name of a Live session, following the
// official SDKs (LIVE_PROTOCOL.md §1, §10; DESIGN.md "Configuration conventions"). Called by
// LiveSession on io (and by tools that want to show where they would connect). No I/O, no state.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "session/live_session_config.hpp"
#include "transport/url.hpp"

namespace parley::session {

// The environment variables the session reads. A value that is empty counts as unset.
struct Environment {
    std::map<std::string, std::string, std::less<>> variables{};

    // The value of `name`, or "" when unset.
    [[nodiscard]] std::string get(std::string_view name) const;
    // GEMINI_API_KEY, GOOGLE_API_KEY, GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_CLOUD_PROJECT,
    // GOOGLE_CLOUD_LOCATION, GOOGLE_GEMINI_BASE_URL, GOOGLE_VERTEX_BASE_URL, and for Application
    // Default Credentials GOOGLE_APPLICATION_CREDENTIALS, CLOUDSDK_CONFIG and HOME, of this
    // process.
    [[nodiscard]] static Environment from_process();
};

struct Endpoint {
    Backend backend = Backend::kGeminiApi;  // kGeminiApi or kVertex, never kAuto
    // The WebSocket URL. It holds a secret only for an ephemeral token (`access_token=`, as the
    // protocol requires); log `display_url` instead.
    std::string url{};
    std::string display_url{};     // `url` with any secret masked
    transport::Headers headers{};  // x-goog-api-key or authorization, when there is one
    std::string model{};           // setup.model, e.g. "models/gemini-..."
    std::string host{};            // "host:port", for messages
    // Which credential is used, e.g. "GEMINI_API_KEY" or "the config's access token" (never the
    // value), for a debug log line.
    std::string credential{};
    bool ephemeral_token = false;
};

// Resolves where and how to connect. Precedence: config fields, then environment variables,
// then the SDKs' defaults. Gemini API: key from config.connection.api_key, GEMINI_API_KEY, then
// GOOGLE_API_KEY, sent in `x-goog-api-key` (never in the URL); an "auth_tokens/..." key is an
// ephemeral token and goes to the v1alpha BidiGenerateContentConstrained path as `access_token`.
// Vertex AI: `Authorization: Bearer <connection.access_token>` (the caller asks its token
// provider first) with a project, or an express-mode API key. An explicit connection.url needs
// no credential (a placeholder key is sent, which the local server accepts). Errors (each a
// clear line, never holding a secret): kNoApiKey, kNoVertexProject, kNoVertexCredentials,
// kInvalidUrl, kInsecureKey, kInvalidConfig.
[[nodiscard]] Result<Endpoint> resolve_endpoint(const LiveSessionConfig& config,
                                                const Environment& environment);

// The backend a connection uses: connection.backend unless kAuto, then Vertex AI when
// GOOGLE_GENAI_USE_VERTEXAI is "true" or "1" (any case), else the Gemini API.
[[nodiscard]] Backend choose_backend(const ConnectionConfig& connection,
                                     const Environment& environment);

// The setup.model name for `model` on `backend`: a bare id becomes "models/<id>" (Gemini API) or
// "projects/P/locations/L/publishers/google/models/<id>" (Vertex; "publishers/google/models/<id>"
// when `project` is empty, as in express mode); names that already have a prefix stay.
[[nodiscard]] std::string expand_model_name(Backend backend, std::string_view model,
                                            std::string_view project, std::string_view location);

// True for "localhost", 127.0.0.0/8 and ::1.
[[nodiscard]] bool is_loopback_host(std::string_view host);

}  // namespace parley::session

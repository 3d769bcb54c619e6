// SPDX-License-Identifier: Apache-2.0
// LiveSessionConfig: everything a Live session is told — the API's setup (model, voice, modality,
// VAD, tools, resumption, compression, sampling) and where and how to connect (backend, URLs,
// credentials, timeouts, send bound). A plain aggregate whose defaults are written here, for
// designated initializers. Read by LiveSession::connect() on the caller's thread and then on io.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/enums.hpp"
#include "protocol/setup.hpp"
#include "session/token_provider.hpp"
#include "transport/url.hpp"

namespace parley::session {

enum class Backend {
    kAuto,       // Vertex AI if GOOGLE_GENAI_USE_VERTEXAI is "true" or "1", else the Gemini API
    kGeminiApi,  // generativelanguage.googleapis.com with an API key or an ephemeral token
    kVertex,     // {location}-aiplatform.googleapis.com with an OAuth token (or express API key)
};

enum class ResponseModality { kAudio, kText };

// realtimeInputConfig.automaticActivityDetection. Unspecified / empty values are not sent, so
// the server's defaults apply (LIVE_PROTOCOL.md §7: they differ between backends).
struct ActivityDetectionConfig {
    bool disabled = false;  // true: the client brackets speech with activity_start()/_end()
    protocol::StartSensitivity start_of_speech_sensitivity =
        protocol::StartSensitivity::kUnspecified;
    protocol::EndSensitivity end_of_speech_sensitivity = protocol::EndSensitivity::kUnspecified;
    std::optional<std::chrono::milliseconds> prefix_padding{};
    std::optional<std::chrono::milliseconds> silence_duration{};
};

// sessionResumption: when enabled the server sends resumption handles; `handle` resumes an
// earlier session (valid about 2 hours after it ended).
struct ResumptionConfig {
    bool enabled = true;
    std::string handle{};
    // Transparent resumption (setup.sessionResumption.transparent): the server acknowledges the
    // client messages it has consumed (lastConsumedClientMessageIndex), so after a lost
    // connection exactly the unacknowledged ones are sent again. Unset: on for Vertex AI and for
    // an explicit connection.url (the local server), off for the Gemini API, which rejects it.
    std::optional<bool> transparent{};
};

// What the session does by itself when a connection ends early (LIVE_PROTOCOL.md §7). Needs
// resumption.enabled; otherwise a goAway or a lost connection only reaches the sink.
struct ReconnectConfig {
    bool enabled = true;
    // goAway: a new connection is opened with the latest handle at the next turn boundary, but
    // no later than this long before the server's deadline; audio keeps flowing on the old one
    // until the new one is set up.
    std::chrono::milliseconds go_away_margin{5000};
    // A lost connection (not a close by us, not a terminal close code such as 1007 or 1008):
    // retries after first_backoff, doubling up to max_backoff, for at most give_up_after.
    std::chrono::milliseconds first_backoff{100};
    std::chrono::milliseconds max_backoff{5000};
    std::chrono::milliseconds give_up_after{60'000};
};

// contextWindowCompression with a sliding window; tokens 0 = the server's default
// (target defaults to trigger / 2 on the server).
struct CompressionConfig {
    bool enabled = false;
    std::int64_t trigger_tokens = 0;
    std::int64_t target_tokens = 0;
};

// Where and how to connect. Resolved by resolve_endpoint() (endpoint.hpp), which documents the
// precedence of these fields over the environment.
struct ConnectionConfig {
    Backend backend = Backend::kAuto;
    // A complete ws:// or wss:// URL of a Live-compatible server (e.g. `parley serve`), used as
    // is; with no path (or "/") the Gemini API path is appended. Overrides base_url and hosts.
    std::string url{};
    // Replaces the scheme, host and path prefix of the API (like the SDKs' baseUrl and
    // GOOGLE_GEMINI_BASE_URL); http:// and ws:// give ws://, anything else wss://.
    std::string base_url{};
    // Path version; empty: v1beta (Gemini API), v1alpha (ephemeral tokens), v1beta1 (Vertex).
    std::string api_version{};
    // Gemini API key or ephemeral token ("auth_tokens/..."); empty: GEMINI_API_KEY, then
    // GOOGLE_API_KEY. For Vertex: an express-mode API key.
    std::string api_key{};
    // Vertex AI; empty: GOOGLE_CLOUD_PROJECT / GOOGLE_CLOUD_LOCATION (location default "global").
    std::string project{};
    std::string location{};
    // Vertex OAuth access token. When empty and token_provider is set, the provider is asked
    // at each connect() / reconnect().
    std::string access_token{};
    std::shared_ptr<TokenProvider> token_provider{};

    std::chrono::milliseconds connect_timeout{10'000};  // resolve + TCP + TLS + upgrade, each
    std::chrono::milliseconds setup_timeout{10'000};    // setup -> setupComplete
    std::string ca_file{};                              // PEM bundle; empty = system store
    std::optional<transport::ResolveOverride> resolve_override{};  // tests only
};

struct LiveSessionConfig {
    // A bare id ("gemini-2.5-flash-native-audio-preview-12-2025") is expanded per backend:
    // models/<id> (Gemini API) or projects/P/locations/L/publishers/google/models/<id> (Vertex).
    std::string model = "gemini-2.5-flash-native-audio-preview-12-2025";
    std::string voice_name{};     // "Kore", "Puck", ...; empty: the model's default voice
    std::string language_code{};  // "en-US"; empty: the model picks
    std::string system_instruction{};
    ResponseModality response_modality = ResponseModality::kAudio;
    bool input_transcription = true;   // inputAudioTranscription: what the user said
    bool output_transcription = true;  // outputAudioTranscription: what the model said
    ActivityDetectionConfig activity_detection{};
    protocol::ActivityHandling activity_handling = protocol::ActivityHandling::kUnspecified;
    protocol::TurnCoverage turn_coverage = protocol::TurnCoverage::kUnspecified;
    std::vector<protocol::FunctionDeclaration> functions{};  // tools[].functionDeclarations
    bool google_search = false;                              // tools[].googleSearch
    ResumptionConfig resumption{};
    ReconnectConfig reconnect{};
    CompressionConfig compression{};
    std::optional<double> temperature{};
    std::optional<double> top_p{};
    std::optional<std::int32_t> top_k{};
    std::optional<std::int32_t> max_output_tokens{};
    std::optional<std::int32_t> seed{};
    std::optional<std::int32_t> thinking_budget{};  // tokens; 0 = off, -1 = dynamic
    std::optional<bool> enable_affective_dialog{};  // native-audio models
    std::optional<bool> proactive_audio{};          // native-audio models
    protocol::MediaResolution media_resolution = protocol::MediaResolution::kUnspecified;

    ConnectionConfig connection{};
    // Audio given to send_audio() that is waiting to be sent (before setupComplete, while the
    // network is slow, or while reconnecting) is bounded to this much; past it the oldest is
    // dropped, counted in stats() and logged. With transparent resumption, audio sent but not yet
    // acknowledged by the server is kept (for a resend) within the same bound.
    std::chrono::milliseconds max_pending_audio{2000};
};

}  // namespace parley::session

// SPDX-License-Identifier: Apache-2.0
// The session layer's error codes (SessionError) and their std::error_category, with conditions
// (SessionCondition) that group them, in the style of Beast's websocket/error.hpp. Returned by
// resolve_endpoint() and LiveSession, and carried by SessionClosed. Any context; no state.
#pragma once

#include <system_error>

namespace parley::session {

enum class SessionError {
    kNoApiKey = 1,         // no Gemini API key in the config or the environment
    kNoVertexProject,      // Vertex AI chosen but no project (GOOGLE_CLOUD_PROJECT)
    kNoVertexCredentials,  // Vertex AI chosen but no access token, token provider or API key
    kTokenProviderFailed,  // the token provider could not produce an access token
    kInvalidUrl,           // a URL, base URL or API version in the config cannot be used
    kInsecureKey,          // a key would travel over unencrypted ws:// to a non-local host
    kInvalidConfig,        // a setting outside its documented range
    kAlreadyConnected,     // connect() on a session that is connecting or open
    kNotConnected,         // a send or reconnect() on a session that was never connected
    kClosed,               // a send on a session that is closed
    kSetupTimeout,         // the server did not answer setup with setupComplete in time
    kClosedByServer,       // the server closed the session (1007, 1008, 1000, ...)
    kServerError,          // the server closed the session with 1011 (its own trouble)
    kConnectionLost,       // the connection failed after it was open
    kProtocolError,        // the server broke the Live API protocol
};

// Groups of SessionError.
enum class SessionCondition {
    kConfiguration = 1,  // kNoApiKey .. kInvalidConfig: fix the config or environment
    kServerClosed,       // kClosedByServer, kServerError
};

[[nodiscard]] const std::error_category& session_category() noexcept;
[[nodiscard]] const std::error_category& session_condition_category() noexcept;
[[nodiscard]] std::error_code make_error_code(SessionError e) noexcept;
[[nodiscard]] std::error_condition make_error_condition(SessionCondition c) noexcept;

}  // namespace parley::session

template <>
struct std::is_error_code_enum<parley::session::SessionError> : std::true_type {};
template <>
struct std::is_error_condition_enum<parley::session::SessionCondition> : std::true_type {};

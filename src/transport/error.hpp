// SPDX-License-Identifier: Apache-2.0
// transport::Error: the failures of the WebSocket client/server and the HTTP client, as a
// std::error_code enum with its category, plus Condition values that group them (the shape of
// Beast's websocket/error.hpp). Errors made with make_error() carry a one-line message with the
// detail (host, HTTP status, the OpenSSL/Beast reason); error_kind() recovers the Error. Any
// context.
#pragma once

#include <string_view>
#include <system_error>

namespace parley::transport {

enum class Error {
    kInvalidUrl = 1,     // the URL could not be parsed or has an unsupported scheme
    kResolveFailed,      // DNS lookup failed
    kConnectFailed,      // TCP connect refused / unreachable
    kTlsFailed,          // TLS handshake failed (not a verification problem)
    kNotVerified,        // the peer's certificate is not trusted
    kHostMismatch,       // the certificate does not name the host we asked for
    kTlsConfig,          // a CA, certificate or key file could not be loaded
    kHandshakeFailed,    // the WebSocket/HTTP upgrade failed (bad answer, protocol error)
    kHandshakeRejected,  // the server answered the upgrade with an HTTP error status
    kTimeout,            // connect, handshake, close or request took too long
    kMessageTooBig,      // a message exceeded the configured maximum size
    kClosedByPeer,       // the peer closed the WebSocket with a close frame
    kConnectionLost,     // the TCP connection ended without a close frame (e.g. mid-message)
    kProtocolError,      // the peer broke the WebSocket or HTTP protocol
    kNotOpen,            // the connection is already closed
    kCancelled,          // the operation was cancelled by its owner
    kListenFailed,       // the server could not bind or listen
    kHttpFailed,         // an HTTP request failed after connecting (bad response, I/O error)
    kBodyTooLarge,       // an HTTP response body exceeded the configured maximum
};

// Groups of errors, for `ec == Condition::kTimeout` style checks that also match detailed codes.
enum class Condition {
    kConnectFailed = 1,  // kInvalidUrl, kResolveFailed, kConnectFailed, kListenFailed
    kTlsFailed,          // kTlsFailed, kNotVerified, kHostMismatch, kTlsConfig
    kHandshakeFailed,    // kHandshakeFailed, kHandshakeRejected
    kTimeout,            // kTimeout
    kConnectionClosed,   // kClosedByPeer, kConnectionLost, kNotOpen
    kProtocolError,      // kMessageTooBig, kProtocolError, kHttpFailed, kBodyTooLarge
    kCancelled,          // kCancelled
};

[[nodiscard]] const std::error_category& error_category() noexcept;
[[nodiscard]] const std::error_category& condition_category() noexcept;
[[nodiscard]] std::error_code make_error_code(Error e) noexcept;
[[nodiscard]] std::error_condition make_error_condition(Condition c) noexcept;

// An error of `kind` whose message() is `message` (one line, no secrets: callers pass hosts, not
// URLs with keys). `http_status` is kept for kHandshakeRejected / HTTP failures. Identical
// messages share one code; after many distinct messages the plain code is returned.
[[nodiscard]] std::error_code make_error(Error kind, std::string_view message, int http_status = 0);

// The Error behind a transport error code (plain or detailed); Error{} (0) for other categories.
[[nodiscard]] Error error_kind(const std::error_code& ec) noexcept;

// The HTTP status recorded with a detailed error (e.g. 403 for a rejected upgrade); 0 if none.
[[nodiscard]] int http_status_of(const std::error_code& ec) noexcept;

}  // namespace parley::transport

template <>
struct std::is_error_code_enum<parley::transport::Error> : std::true_type {};
template <>
struct std::is_error_condition_enum<parley::transport::Condition> : std::true_type {};

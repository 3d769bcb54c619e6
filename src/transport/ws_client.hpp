// SPDX-License-Identifier: Apache-2.0
// connect_ws: opens a ws:// or wss:// WebSocket (resolve, TCP connect, TLS with certificate and
// host-name verification always on and SNI set, then the upgrade). Called by the client session
// from any thread; the result arrives on the EventLoop's **io** thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "transport/event_loop.hpp"
#include "transport/url.hpp"
#include "transport/ws_connection.hpp"

namespace parley::transport {

struct WsClientOptions {
    std::chrono::milliseconds connect_timeout{10'000};  // resolve + TCP connect
    std::chrono::milliseconds handshake_timeout{
        10'000};  // TLS, the upgrade, and the close handshake
    std::size_t max_message_bytes = kDefaultMaxMessageBytes;  // larger messages fail with 1009
    std::string ca_file;  // PEM CA bundle; empty = the system's default trust store
    std::optional<ResolveOverride> resolve_override;  // tests only
    std::string user_agent = "parley/0.1";
};

using WsConnectCallback = std::function<void(Result<std::unique_ptr<WsConnection>>)>;

// Connects to `url` with `headers` added to the upgrade request; `done` runs once on io with the
// connection or an Error (kInvalidUrl, kResolveFailed, kConnectFailed, kTimeout, kTlsFailed,
// kNotVerified, kHostMismatch, kTlsConfig, kHandshakeFailed, kHandshakeRejected with the HTTP
// status in http_status_of()). Error messages name the host, never the URL's query (keys).
// The loop must be started (or be started later); if it stops first, `done` never runs.
void connect_ws(EventLoop& loop, const std::string& url, Headers headers, WsClientOptions options,
                WsConnectCallback done);

}  // namespace parley::transport

// SPDX-License-Identifier: Apache-2.0
// WsServer: listens on host:port (ws, or wss given a certificate and key), reads each upgrade
// request, lets its owner accept or reject it by path/query/headers, and hands accepted
// connections to the owner. Used by the local server; runs on the given EventLoop's **io** thread.
// No permessage-deflate is negotiated (LIVE_PROTOCOL.md §2).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "transport/event_loop.hpp"
#include "transport/url.hpp"
#include "transport/ws_connection.hpp"

namespace parley::transport {

// What the owner sees of an upgrade request (before the 101).
struct UpgradeRequest {
    std::string target;  // as received, e.g. "//ws/...BidiGenerateContent?key=K"
    std::string path;    // target before '?'
    std::string query;   // target after '?', without it ("" if none)
    Headers headers;     // as received, names in their original case
    std::string remote;  // "address:port" of the peer
    [[nodiscard]] std::optional<std::string> header(std::string_view name) const {
        return find_header(headers, name);
    }
};

struct UpgradeDecision {
    // 0 accepts; otherwise the HTTP status of the refusal (e.g. 404, 401).
    int reject_status = 0;
    std::string reject_body;  // text/plain body of the refusal
    // Accepted: receives the open connection on io after the 101 was sent. Call start() on it.
    std::function<void(std::unique_ptr<WsConnection>)> on_open;

    [[nodiscard]] static UpgradeDecision accept(
        std::function<void(std::unique_ptr<WsConnection>)> on_open) {
        UpgradeDecision d;
        d.on_open = std::move(on_open);
        return d;
    }
    [[nodiscard]] static UpgradeDecision reject(int status, std::string body) {
        UpgradeDecision d;
        d.reject_status = status;
        d.reject_body = std::move(body);
        return d;
    }
};

struct WsServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;  // 0 picks a free port; see WsServer::port()
    std::string cert_file;   // PEM certificate chain; with key_file: wss
    std::string key_file;    // PEM private key
    std::size_t max_message_bytes = kDefaultMaxMessageBytes;
    std::chrono::milliseconds handshake_timeout{10'000};  // TLS + upgrade, and the close handshake
    std::string server_header = "parley";
};

class WsServer {
public:
    // Called on io for every upgrade request; must not block. Exceptions become a 500.
    using UpgradeHandler = std::function<UpgradeDecision(const UpgradeRequest&)>;

    // Binds and starts accepting (on io once the loop runs). Any thread.
    // Errors: kListenFailed (address in use, bad host), kTlsConfig (certificate or key).
    [[nodiscard]] static Result<std::unique_ptr<WsServer>> listen(EventLoop& loop,
                                                                  WsServerOptions options,
                                                                  UpgradeHandler on_upgrade);
    // Stops accepting; connections already handed out stay open.
    ~WsServer();
    WsServer(const WsServer&) = delete;
    WsServer& operator=(const WsServer&) = delete;

    // The bound port (the picked one when options.port was 0).
    [[nodiscard]] std::uint16_t port() const;
    [[nodiscard]] bool tls() const;
    // Stops accepting and stops calling the upgrade handler; waits for io if called elsewhere.
    void stop();

    struct Impl;
    explicit WsServer(std::shared_ptr<Impl> impl);

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace parley::transport

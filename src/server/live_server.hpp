// SPDX-License-Identifier: Apache-2.0
// LiveServer: the local Live-API-compatible server (`parley serve`, and the in-process default
// when no API key is set). Owns the io loop, the WebSocket listener, the work pool, the speech
// engines and the resumption store; accepts the request paths of LIVE_PROTOCOL.md §11 and runs a
// ServerSession per connection. start()/stop() from any thread but io.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "server/server_options.hpp"

namespace parley::server {

// True for hosts only this machine can reach: "localhost", 127.0.0.0/8 and ::1 (also in
// brackets). `parley serve` needs --token to listen on any other. Pure.
[[nodiscard]] bool is_loopback_host(std::string_view host);
// True when a browser page from `origin` (an Origin header) may connect: a loopback origin
// (http(s)://localhost:*, http(s)://127.0.0.1:*, http(s)://[::1]:*) or one listed in `allowed`
// ("*" allows any). Pure.
[[nodiscard]] bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed);

class LiveServer {
public:
    // Loads the engines (speech models, voices) and starts listening. Errors: the listener's
    // (address in use, ...) and the engines' (speech model missing, ...), each a clear line.
    [[nodiscard]] static Result<std::unique_ptr<LiveServer>> start(ServerOptions options);
    // Closes every session (1001 "going away") and stops.
    ~LiveServer();
    LiveServer(const LiveServer&) = delete;
    LiveServer& operator=(const LiveServer&) = delete;

    // The port listened on (the picked one when options.port was 0).
    [[nodiscard]] std::uint16_t port() const;
    // "ws://127.0.0.1:PORT", what a client's base URL should be (with http: for the SDKs).
    [[nodiscard]] std::string url() const;
    // Sessions open now. Any thread.
    [[nodiscard]] std::size_t session_count() const;
    // Tells every set-up session to move on, as at the end of its lifetime: goAway with
    // `time_left`, then a close with 1008 when it has passed (a drain before a restart). Clients
    // that resume get a fresh connection. Any thread; returns at once.
    void go_away_all(std::chrono::milliseconds time_left);

    struct Impl;

private:
    explicit LiveServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace parley::server

// SPDX-License-Identifier: Apache-2.0
// HttpClient: a small blocking HTTP/1.1 client over http:// and https:// (TLS verified like the
// WebSocket client), for token exchange and OpenAI-compatible chat endpoints. The streaming form
// hands the body over as it arrives (server-sent events, chunked transfer). Runs its own private
// io_context on the calling thread: call it from **work** or main, never from io.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "transport/url.hpp"

namespace parley::transport {

struct HttpRequest {
    std::string method = "GET";
    std::string url;  // http:// or https://
    Headers headers;  // Host, User-Agent and Content-Length are added unless given
    std::string body;
    // Limit for connecting, the TLS handshake, sending, and each wait for more response bytes.
    std::chrono::milliseconds timeout{30'000};
    std::string ca_file;  // PEM CA bundle; empty = the system's default trust store
    std::optional<ResolveOverride> resolve_override;     // tests only
    std::size_t max_body_bytes = std::size_t{64} << 20;  // request(): larger fails kBodyTooLarge
    std::string user_agent = "parley/0.1";
};

struct HttpResponse {
    int status = 0;
    Headers headers;
    std::string body;
    [[nodiscard]] std::optional<std::string> header(std::string_view name) const {
        return find_header(headers, name);
    }
};

// Callbacks of request_stream(), on the calling thread. Returning false stops the request
// (request_stream then returns success). They must not call back into the same HttpClient except
// cancel().
struct HttpStreamHandlers {
    std::function<bool(int status, const Headers& headers)> on_head;
    std::function<bool(std::string_view bytes)> on_data;  // body bytes, de-chunked, in order
};

class HttpClient {
public:
    HttpClient();
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Sends the request and reads the whole response. Any HTTP status is a success here.
    // Errors: kInvalidUrl, kResolveFailed, kConnectFailed, kTls*, kTimeout, kHttpFailed,
    // kConnectionLost, kBodyTooLarge, kCancelled. One request at a time per client.
    [[nodiscard]] Result<HttpResponse> request(const HttpRequest& request);
    // The same, handing the status, headers and body pieces to `handlers` as they arrive.
    [[nodiscard]] Status request_stream(const HttpRequest& request,
                                        const HttpStreamHandlers& handlers);
    // Any thread: ends the request in progress with kCancelled (no-op when idle).
    void cancel();

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace parley::transport

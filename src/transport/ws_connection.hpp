// SPDX-License-Identifier: Apache-2.0
// WsConnection: one open WebSocket, the same interface on the client (connect_ws) and the server
// (WsServer) side. Moves whole text/binary messages; knows no schema. Sends are thread-safe and
// queued (one write in flight); handlers run on the owning EventLoop's **io** thread.
// Lifetime: the owner holds the unique_ptr; the async session behind it keeps itself alive with
// shared_from_this while operations are pending, and destroying the handle detaches the handlers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>

namespace parley::transport {

enum class MessageKind { kText, kBinary };

// WebSocket close codes we use by name (RFC 6455 §7.4.1).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseNoStatus = 1005;  // the peer closed without a code
inline constexpr std::uint16_t kCloseInvalidPayload = 1007;
inline constexpr std::uint16_t kClosePolicy = 1008;
inline constexpr std::uint16_t kCloseTooBig = 1009;
inline constexpr std::uint16_t kCloseInternalError = 1011;
// A close reason may hold at most 123 bytes (RFC 6455 §5.5: 125-byte control payload).
inline constexpr std::size_t kMaxCloseReasonBytes = 123;
inline constexpr std::size_t kDefaultMaxMessageBytes = std::size_t{16} << 20;

struct CloseInfo {
    std::uint16_t code = kCloseNoStatus;  // as sent by the peer; 1005 if its frame had no code
    std::string reason;                   // the peer's reason text (may be empty)
    bool by_peer = true;                  // false: we started the close and the peer answered
};

// Handlers, all invoked on the io thread, never concurrently. They must not block; they may call
// any WsConnection method, and may destroy the connection. Any of them may be empty.
struct WsHandlers {
    // One whole message. `payload` is the bytes (UTF-8 for text).
    std::function<void(MessageKind kind, std::string payload)> on_message;
    // The close handshake finished. Final: no handler runs after it.
    std::function<void(const CloseInfo& info)> on_close;
    // The connection failed (message too big, connection lost, timeout, protocol error).
    // Final: no handler runs after it. The message says what happened; no secrets in it.
    std::function<void(std::error_code ec)> on_error;
    // A pong arrived (answer to ping()).
    std::function<void(std::string payload)> on_pong;
};

class WsConnection {
public:
    // Detaches the handlers (none runs after the destructor returns; it waits for the io thread
    // if called elsewhere, so never destroy it from a thread io is waiting on) and, if the
    // connection is still open, closes it with 1001 "going away".
    virtual ~WsConnection() = default;

    // Installs the handlers and starts reading. Call once; any thread.
    virtual void start(WsHandlers handlers) = 0;
    // Queues a message; any thread. Messages go out in order, one write in flight. Ignored once
    // the connection is closing or closed.
    virtual void send_text(std::string payload) = 0;
    virtual void send_binary(std::string payload) = 0;
    // Queues a ping (payload at most 125 bytes; longer is truncated); any thread.
    virtual void ping(std::string payload = {}) = 0;
    // Queues a close frame behind the messages already queued; any thread. The reason is truncated
    // to 123 bytes (at a UTF-8 boundary). on_close follows when the peer answers.
    virtual void close(std::uint16_t code, std::string reason) = 0;
    // Bytes queued for writing and not yet written (backpressure); any thread.
    [[nodiscard]] virtual std::size_t queued_bytes() const = 0;
    // False once closing, closed or failed; any thread.
    [[nodiscard]] virtual bool is_open() const = 0;
    // "host:port" of the peer, for logs.
    [[nodiscard]] virtual const std::string& peer() const = 0;
};

// `reason` cut to at most `max_bytes`, never inside a UTF-8 sequence.
[[nodiscard]] std::string truncate_utf8(std::string reason, std::size_t max_bytes);

}  // namespace parley::transport

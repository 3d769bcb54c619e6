// SPDX-License-Identifier: Apache-2.0
// Private to src/transport/*.cpp and its unit tests (not a public header: it includes Beast).
// WsSession<Stream>: the async WebSocket session behind every WsConnection, over a plain TCP, TLS
// or Beast test stream. Everything runs on the stream's strand (io). Shape of Beast's chat-multi
// websocket_session: one async_write in flight, a queue behind it, sends posted onto the strand.
// Lifetime: every pending operation holds shared_from_this(); WsConnectionHandle holds one more
// reference and detaches the handlers when the owner drops it.
#pragma once

#include <utility>

#include <atomic>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "base/log.hpp"
#include "transport/internal.hpp"
#include "transport/ws_connection.hpp"

namespace parley::transport::detail {

// The type-erased side of a session, for the handle.
class SessionBase {
public:
    virtual ~SessionBase() = default;
    virtual void start(WsHandlers handlers) = 0;
    virtual void send(MessageKind kind, std::string payload) = 0;
    virtual void ping(std::string payload) = 0;
    virtual void close(std::uint16_t code, std::string reason) = 0;
    // On io: drop the handlers and close with 1001 if still open.
    virtual void detach_on_io() = 0;
    virtual void post(std::function<void()> fn) = 0;
    [[nodiscard]] virtual std::size_t queued_bytes() const = 0;
    [[nodiscard]] virtual bool is_open() const = 0;
    [[nodiscard]] virtual const std::string& peer() const = 0;
};

template <class NextLayer>
class WsSession final : public SessionBase,
                        public std::enable_shared_from_this<WsSession<NextLayer>> {
public:
    using Stream = boost::beast::websocket::stream<NextLayer>;

    // `ws` has completed its handshake (client or server role).
    WsSession(Stream ws, std::size_t max_message_bytes, std::string peer)
        : ws_(std::move(ws)), peer_(std::move(peer)) {
        ws_.read_message_max(max_message_bytes);
        ws_.auto_fragment(false);
    }

    void start(WsHandlers handlers) override {
        auto self = this->shared_from_this();
        post([self, h = std::move(handlers)]() mutable {
            if (self->started_)
                return;
            self->started_ = true;
            self->handlers_ = std::make_shared<WsHandlers>(std::move(h));
            self->ws_.control_callback([raw = self.get()](boost::beast::websocket::frame_type kind,
                                                          boost::beast::string_view payload) {
                if (kind != boost::beast::websocket::frame_type::pong)
                    return;
                auto handlers = raw->handlers_;
                if (handlers && handlers->on_pong) {
                    handlers->on_pong(std::string(payload.data(), payload.size()));
                }
            });
            self->do_read();
        });
    }

    void send(MessageKind kind, std::string payload) override {
        if (!open_.load())
            return;
        queued_bytes_ += payload.size();
        enqueue(Out{kind == MessageKind::kText ? Out::kText : Out::kBinary, std::move(payload), 0});
    }

    void ping(std::string payload) override {
        if (!open_.load())
            return;
        if (payload.size() > 125)
            payload.resize(125);
        enqueue(Out{Out::kPing, std::move(payload), 0});
    }

    void close(std::uint16_t code, std::string reason) override {
        if (!open_.exchange(false))
            return;
        enqueue(Out{Out::kClose, truncate_utf8(std::move(reason), kMaxCloseReasonBytes), code});
    }

    void detach_on_io() override {
        handlers_.reset();
        if (open_.exchange(false)) {
            queue_.push_back(Out{Out::kClose, "going away", kCloseGoingAway});
            if (!writing_)
                do_write();
        }
        if (!started_) {
            // Nobody reads: the close handshake cannot finish, so end the TCP connection now.
            started_ = true;
            do_read();
        }
    }

    void post(std::function<void()> fn) override {
        boost::asio::post(ws_.get_executor(), std::move(fn));
    }

    std::size_t queued_bytes() const override { return queued_bytes_.load(); }
    bool is_open() const override { return open_.load() && !finished_; }
    const std::string& peer() const override { return peer_; }

    Stream& stream() { return ws_; }

private:
    struct Out {
        enum Kind { kText, kBinary, kPing, kClose } kind;
        std::string payload;
        std::uint16_t code;
    };

    void enqueue(Out out) {
        auto self = this->shared_from_this();
        post([self, out = std::move(out)]() mutable {
            if (self->finished_) {
                if (out.kind == Out::kText || out.kind == Out::kBinary) {
                    self->queued_bytes_ -= out.payload.size();
                }
                return;
            }
            self->queue_.push_back(std::move(out));
            if (!self->writing_)
                self->do_write();
        });
    }

    void do_write() {
        if (queue_.empty() || finished_) {
            writing_ = false;
            return;
        }
        writing_ = true;
        Out& out = queue_.front();
        auto self = this->shared_from_this();
        switch (out.kind) {
            case Out::kText:
            case Out::kBinary:
                ws_.text(out.kind == Out::kText);
                ws_.async_write(
                    boost::asio::buffer(out.payload),
                    [self](boost::beast::error_code ec, std::size_t) { self->on_write(ec); });
                break;
            case Out::kPing:
                ws_.async_ping(
                    boost::beast::websocket::ping_data(out.payload.data(), out.payload.size()),
                    [self](boost::beast::error_code ec) { self->on_write(ec); });
                break;
            case Out::kClose:
                closing_ = true;
                ws_.async_close(boost::beast::websocket::close_reason(
                                    static_cast<boost::beast::websocket::close_code>(out.code),
                                    boost::beast::string_view(out.payload)),
                                [self](boost::beast::error_code ec) { self->on_close_sent(ec); });
                break;
        }
    }

    void on_write(boost::beast::error_code ec) {
        Out& out = queue_.front();
        if (out.kind == Out::kText || out.kind == Out::kBinary)
            queued_bytes_ -= out.payload.size();
        queue_.pop_front();
        if (ec) {
            writing_ = false;
            write_failed(ec);
            return;
        }
        do_write();
    }

    void on_close_sent(boost::beast::error_code ec) {
        queue_.pop_front();
        writing_ = false;
        drop_queue();
        if (ec) {
            write_failed(ec);
            return;
        }
        // Our close handshake finished: the peer's answering close frame is in reason().
        finish_closed(false);
    }

    // A write failed. If the peer reset the connection and a read is pending, let the read
    // report: the peer's close frame may still wait in the receive buffer (a peer that closes
    // with 1009 and then resets), and that close is what the peer meant. After a reset the read
    // cannot hang. Any other write failure ends the connection now.
    void write_failed(boost::beast::error_code ec) {
        if (finished_)
            return;
        open_ = false;
        drop_queue();
        bool reset_by_peer =
            ec == boost::asio::error::broken_pipe || ec == boost::asio::error::connection_reset;
        if (!started_ || !reset_by_peer)
            fail(ec, Error::kConnectionLost);
    }

    void do_read() {
        auto self = this->shared_from_this();
        ws_.async_read(buffer_, [self](boost::beast::error_code ec, std::size_t bytes) {
            self->on_read(ec, bytes);
        });
    }

    void on_read(boost::beast::error_code ec, std::size_t bytes) {
        if (ec) {
            if (ec == boost::beast::websocket::error::closed) {
                finish_closed(!closing_);
            } else if (ws_.reason().code != boost::beast::websocket::close_code::none) {
                // The peer's close frame arrived but echoing it failed: typically the peer
                // (e.g. a Boost 1.74 server after a 1009) reset the TCP connection right after
                // its close frame. The close is what the peer meant; report that.
                finish_closed(!closing_);
            } else if (ec == boost::asio::error::operation_aborted && (closing_ || finished_)) {
                // Our own close or failure cancelled the read; that path reports.
            } else {
                fail(ec, Error::kConnectionLost);
            }
            return;
        }
        std::string payload = boost::beast::buffers_to_string(buffer_.data());
        buffer_.consume(bytes);
        MessageKind kind = ws_.got_text() ? MessageKind::kText : MessageKind::kBinary;
        if (!finished_) {
            if (auto handlers = handlers_; handlers && handlers->on_message) {
                handlers->on_message(kind, std::move(payload));
            }
        }
        if (!finished_)
            do_read();
    }

    void finish_closed(bool by_peer) {
        if (finished_)
            return;
        finished_ = true;
        open_ = false;
        drop_queue();
        CloseInfo info;
        const auto& reason = ws_.reason();
        info.code = reason.code == boost::beast::websocket::close_code::none
                        ? kCloseNoStatus
                        : static_cast<std::uint16_t>(reason.code);
        info.reason = std::string(reason.reason.data(), reason.reason.size());
        info.by_peer = by_peer;
        // Normally Beast has torn the connection down already; after a failed close echo it has
        // not, and the peer would wait for it.
        boost::beast::get_lowest_layer(ws_).close();
        if (auto handlers = std::exchange(handlers_, nullptr); handlers && handlers->on_close) {
            handlers->on_close(info);
        }
    }

    void fail(boost::beast::error_code ec, Error fallback) {
        if (finished_)
            return;
        finished_ = true;
        open_ = false;
        drop_queue();
        std::error_code error = map_error(fallback, ec, "WebSocket connection with " + peer_);
        if (error_kind(error) != Error::kCancelled) {
            log::debug("transport: {}", error.message());
        }
        // End the TCP connection so that a pending read or write completes and frees us.
        boost::beast::get_lowest_layer(ws_).close();
        if (auto handlers = std::exchange(handlers_, nullptr); handlers && handlers->on_error) {
            handlers->on_error(error);
        }
    }

    void drop_queue() {
        // The front element may still be in flight (its buffer in use): keep it.
        while (queue_.size() > (writing_ ? 1u : 0u)) {
            Out& out = queue_.back();
            if (out.kind == Out::kText || out.kind == Out::kBinary)
                queued_bytes_ -= out.payload.size();
            queue_.pop_back();
        }
    }

    Stream ws_;
    std::string peer_;
    boost::beast::flat_buffer buffer_;
    std::deque<Out> queue_;         // io only
    bool writing_ = false;          // io only: an async_write/ping/close is in flight
    bool started_ = false;          // io only
    bool closing_ = false;          // io only: our close frame went out
    bool finished_ = false;         // io only: on_close or on_error was decided
    std::atomic<bool> open_{true};  // any thread: false once close() was asked or it ended
    std::atomic<std::size_t> queued_bytes_{0};
    std::shared_ptr<WsHandlers> handlers_;  // io only; a copy is taken around each call
};

// The WsConnection the owner holds: forwards to the session; its destructor detaches.
class WsConnectionHandle final : public WsConnection {
public:
    WsConnectionHandle(EventLoop& loop, std::shared_ptr<SessionBase> session)
        : loop_(loop), session_(std::move(session)) {}
    ~WsConnectionHandle() override {
        auto session = session_;
        run_on_io_and_wait(
            loop_, [session](std::function<void()> fn) { session->post(std::move(fn)); },
            [session] { session->detach_on_io(); });
    }
    void start(WsHandlers handlers) override { session_->start(std::move(handlers)); }
    void send_text(std::string payload) override {
        session_->send(MessageKind::kText, std::move(payload));
    }
    void send_binary(std::string payload) override {
        session_->send(MessageKind::kBinary, std::move(payload));
    }
    void ping(std::string payload) override { session_->ping(std::move(payload)); }
    void close(std::uint16_t code, std::string reason) override {
        session_->close(code, std::move(reason));
    }
    std::size_t queued_bytes() const override { return session_->queued_bytes(); }
    bool is_open() const override { return session_->is_open(); }
    const std::string& peer() const override { return session_->peer(); }

private:
    EventLoop& loop_;
    std::shared_ptr<SessionBase> session_;
};

}  // namespace parley::transport::detail

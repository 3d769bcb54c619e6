// SPDX-License-Identifier: Apache-2.0
// DrainingTcpStream: the TCP stream under the server's plain WebSockets. When Beast 1.74 fails a
// connection (say, a message over the size limit) it sends its close frame, then its teardown
// reads once and closes the socket; a peer still sending (the rest of the oversized message) then
// gets a TCP reset, which throws away our close frame before the peer reads it. This stream's
// teardown, found by Beast through argument-dependent lookup, reads and discards until the peer
// closes (bounded in time), so the peer sees the close code. Included by ws.cpp only (Boost).
#pragma once

#include <array>
#include <chrono>
#include <memory>

#include <boost/asio/compose.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace parley::transport::detail {

class DrainingTcpStream : public boost::beast::tcp_stream {
public:
    using boost::beast::tcp_stream::tcp_stream;
};

// How long a closing connection keeps draining a peer that goes on sending.
inline constexpr std::chrono::seconds kTeardownDrainLimit{5};

class DrainOp {
public:
    DrainOp(DrainingTcpStream& stream, boost::beast::role_type role)
        : stream_(stream), role_(role), buffer_(std::make_unique<std::array<char, 16384>>()) {}

    template <class Self>
    void operator()(Self& self, boost::beast::error_code ec = {}, std::size_t /*bytes*/ = 0) {
        using tcp = boost::asio::ip::tcp;
        boost::beast::error_code ignored;
        if (!started_) {
            started_ = true;
            if (role_ == boost::beast::role_type::server)
                stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            stream_.expires_after(kTeardownDrainLimit);
        } else if (ec) {
            // End of stream (the peer closed), a time-out or a reset: either way we are done.
            if (role_ == boost::beast::role_type::client)
                stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            stream_.socket().close(ignored);
            self.complete({});
            return;
        }
        stream_.async_read_some(boost::asio::buffer(*buffer_), std::move(self));
    }

private:
    DrainingTcpStream& stream_;
    boost::beast::role_type role_;
    std::unique_ptr<std::array<char, 16384>> buffer_;
    bool started_ = false;
};

template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, DrainingTcpStream& stream,
                    TeardownHandler&& handler) {
    boost::asio::async_compose<TeardownHandler, void(boost::beast::error_code)>(
        DrainOp(stream, role), handler, stream);
}

}  // namespace parley::transport::detail

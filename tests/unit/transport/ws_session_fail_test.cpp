// SPDX-License-Identifier: Apache-2.0
// WsSession over Beast's in-memory test::stream with fail_count (Beast's doFailLoop idea): every
// read, write and close failure point of a session must end in exactly one clear on_error or
// on_close, never a crash, a hang or a leak (run under ASan).
#include "transport/ws_session.ipp"

#include <utility>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/_experimental/test/fail_count.hpp>
#include <boost/beast/_experimental/test/stream.hpp>

#include "transport/error.hpp"

namespace parley::transport::detail {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

struct Outcome {
    bool handshake_failed = false;
    int terminal_events = 0;
    std::optional<std::error_code> error;
    std::optional<CloseInfo> close;
    std::vector<std::string> messages;
    bool peer_got_echo = false;
};

// One scripted exchange: handshake, the peer sends two messages, the session echoes them and
// sends a 100 kB message of its own, then the peer closes with 4001.
Outcome run_exchange(std::size_t fail_after) {
    Outcome out;
    net::io_context ioc;
    beast::test::fail_count fc(fail_after);
    beast::test::stream local(ioc, fc);
    beast::test::stream remote(ioc);
    local.connect(remote);
    websocket::stream<beast::test::stream> server_ws(std::move(local));
    websocket::stream<beast::test::stream> peer(std::move(remote));

    std::shared_ptr<WsSession<beast::test::stream>> session;
    server_ws.async_accept([&](beast::error_code ec) {
        if (ec) {
            out.handshake_failed = true;
            beast::get_lowest_layer(server_ws).close();
            return;
        }
        session = std::make_shared<WsSession<beast::test::stream>>(std::move(server_ws), 1 << 20,
                                                                   "test-peer");
        WsHandlers handlers;
        auto* raw = session.get();
        handlers.on_message = [&out, raw](MessageKind kind, std::string payload) {
            out.messages.push_back(payload);
            raw->send(kind, payload);
            if (out.messages.size() == 2)
                raw->send(MessageKind::kBinary, std::string(100'000, 'q'));
        };
        handlers.on_close = [&out](const CloseInfo& info) {
            out.close = info;
            ++out.terminal_events;
        };
        handlers.on_error = [&out](std::error_code ec2) {
            out.error = ec2;
            ++out.terminal_events;
        };
        session->start(std::move(handlers));
    });

    beast::flat_buffer peer_buffer;
    std::function<void(int)> peer_read;
    peer_read = [&](int seen) {
        peer.async_read(peer_buffer, [&, seen](beast::error_code ec, std::size_t) {
            if (ec)
                return;
            peer_buffer.consume(peer_buffer.size());
            if (seen + 1 == 3) {
                out.peer_got_echo = true;
                peer.async_close(
                    websocket::close_reason(static_cast<websocket::close_code>(4001), "done"),
                    [](beast::error_code) {});
                return;
            }
            peer_read(seen + 1);
        });
    };
    peer.async_handshake("localhost", "/", [&](beast::error_code ec) {
        if (ec)
            return;
        peer.write(net::buffer(std::string("one")), ec);
        if (ec)
            return;
        peer.write(net::buffer(std::string("two")), ec);
        if (ec)
            return;
        peer_read(0);
    });
    ioc.run();
    return out;
}

TEST(WsSessionFailLoop, EveryFailurePointEndsCleanly) {
    bool completed = false;
    int session_failures = 0;  // runs that failed after the handshake, inside the session
    std::size_t n = 0;
    for (; n < 200 && !completed; ++n) {
        SCOPED_TRACE("fail_after=" + std::to_string(n));
        Outcome out = run_exchange(n);
        if (out.handshake_failed)
            continue;
        ASSERT_EQ(out.terminal_events, 1);
        if (out.close) {
            EXPECT_EQ(out.close->code, 4001);
            EXPECT_EQ(out.close->reason, "done");
            EXPECT_TRUE(out.close->by_peer);
            EXPECT_TRUE(out.peer_got_echo);
            EXPECT_EQ(out.messages, (std::vector<std::string>{"one", "two"}));
            completed = true;
        } else {
            ASSERT_TRUE(out.error.has_value());
            ++session_failures;
            EXPECT_NE(error_kind(*out.error), Error{}) << out.error->message();
            EXPECT_NE(out.error->message().find("test-peer"), std::string::npos)
                << out.error->message();
        }
    }
    EXPECT_TRUE(completed) << "no run got past every failure point";
    EXPECT_GT(session_failures, 2) << "failures should have been injected inside the session";
}

TEST(WsSessionFailLoop, PeerThatStopsMidMessageIsConnectionLost) {
    net::io_context ioc;
    beast::test::stream local(ioc);
    beast::test::stream remote(ioc);
    local.connect(remote);
    websocket::stream<beast::test::stream> server_ws(std::move(local));
    // Client handshake request written by hand, then a binary frame header promising 50 bytes,
    // 5 bytes of it, and the peer closes.
    net::write(
        remote,
        net::buffer(std::string(
            "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")));
    std::optional<std::error_code> error;
    std::shared_ptr<WsSession<beast::test::stream>> session;
    server_ws.async_accept([&](beast::error_code ec) {
        ASSERT_FALSE(ec) << ec.message();
        session = std::make_shared<WsSession<beast::test::stream>>(std::move(server_ws), 1 << 20,
                                                                   "half-peer");
        WsHandlers handlers;
        handlers.on_error = [&](std::error_code e) { error = e; };
        session->start(std::move(handlers));
        std::string frame = "\x82\xB2";  // FIN, binary, masked, length 50
        frame += std::string("\x01\x02\x03\x04", 4);
        frame += "abcde";
        net::write(remote, net::buffer(frame));
        remote.close();
    });
    ioc.run();
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error_kind(*error), Error::kConnectionLost) << error->message();
}

}  // namespace
}  // namespace parley::transport::detail

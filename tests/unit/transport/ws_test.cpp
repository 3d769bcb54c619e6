// SPDX-License-Identifier: Apache-2.0
// WebSocket client and server over loopback: ws and wss, messages both ways, ping, close codes,
// size limits, broken peers, timeouts, TLS verification failures.
#include "transport/ws_connection.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "test_support.hpp"
#include "transport/error.hpp"
#include "ws_fixture.hpp"

namespace parley::transport::testing {
namespace {

std::string bytes_pattern(std::size_t size) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 131 + i / 7) & 0xFF);
    return out;
}

class WsTest : public WsFixture {};

TEST_F(WsTest, TextAndBinaryMessagesTravelBothWays) {
    start_server();
    auto conn = connect(ws_url("/chat"));
    ASSERT_TRUE(conn) << conn.error().message();
    auto events = std::make_shared<Events>();
    (*conn)->start(Events::handlers(events));
    const std::string binary = bytes_pattern(256);
    (*conn)->send_text("hello");
    (*conn)->send_binary(binary);
    ASSERT_TRUE(events->wait_messages(2));
    EXPECT_EQ(events->messages[0], std::make_pair(MessageKind::kText, std::string("hello")));
    EXPECT_EQ(events->messages[1], std::make_pair(MessageKind::kBinary, binary));
    auto server = server_events(0);
    ASSERT_TRUE(server);
    ASSERT_TRUE(server->wait_messages(2));
    EXPECT_EQ(server->messages[0].first, MessageKind::kText);
    EXPECT_EQ(server->messages[1].first, MessageKind::kBinary);
}

TEST_F(WsTest, LargeMessagesArriveWhole) {
    start_server();
    auto conn = connect(ws_url());
    ASSERT_TRUE(conn) << conn.error().message();
    auto events = std::make_shared<Events>();
    (*conn)->start(Events::handlers(events));
    const std::string big = bytes_pattern(6 << 20);
    (*conn)->send_binary(big);
    (*conn)->send_text(std::string(3 << 20, 'x'));
    ASSERT_TRUE(events->wait_messages(2));
    EXPECT_EQ(events->messages[0].second.size(), big.size());
    EXPECT_TRUE(events->messages[0].second == big);
    EXPECT_EQ(events->messages[1].second, std::string(3 << 20, 'x'));
    EXPECT_EQ((*conn)->queued_bytes(), 0u);
}

TEST_F(WsTest, SendsFromManyThreadsAllArriveInPerThreadOrder) {
    start_server();
    auto conn = connect(ws_url());
    ASSERT_TRUE(conn) << conn.error().message();
    auto events = std::make_shared<Events>();
    (*conn)->start(Events::handlers(events));
    constexpr int kThreads = 4;
    constexpr int kPerThread = 200;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                (*conn)->send_text(std::to_string(t) + ":" + std::to_string(i));
            }
        });
    }
    for (auto& thread : threads) thread.join();
    ASSERT_TRUE(events->wait_messages(kThreads * kPerThread));
    std::vector<int> next(kThreads, 0);
    for (const auto& [kind, text] : events->messages) {
        int t = std::stoi(text.substr(0, text.find(':')));
        int i = std::stoi(text.substr(text.find(':') + 1));
        EXPECT_EQ(i, next[static_cast<std::size_t>(t)]++);
    }
}

TEST_F(WsTest, PingIsAnsweredWithPong) {
    start_server();
    auto conn = connect(ws_url());
    ASSERT_TRUE(conn) << conn.error().message();
    auto events = std::make_shared<Events>();
    (*conn)->start(Events::handlers(events));
    (*conn)->ping("are you there");
    ASSERT_TRUE(events->wait([](Events& e) { return !e.pongs.empty(); }));
    EXPECT_EQ(events->pongs[0], "are you there");
}

TEST_F(WsTest, ClientCloseCodeAndReasonReachServer) {
    start_server();
    auto conn = connect(ws_url());
    ASSERT_TRUE(conn) << conn.error().message();
    auto events = std::make_shared<Events>();
    (*conn)->start(Events::handlers(events));
    auto server = server_events(0);
    ASSERT_TRUE(server);
    (*conn)->close(4000, "bye now");
    EXPECT_FALSE((*conn)->is_open());
    ASSERT_TRUE(server->wait_end());
    ASSERT_TRUE(server->close.has_value());
    EXPECT_EQ(server->close->code, 4000);
    EXPECT_EQ(server->close->reason, "bye now");
    EXPECT_TRUE(server->close->by_peer);
    ASSERT_TRUE(events->wait_end());
    ASSERT_TRUE(events->close.has_value()) << events->error->message();
    EXPECT_FALSE(events->close->by_peer);
    EXPECT_EQ(events->terminal_events, 1);
}

TEST_F(WsTest, ServerCloseReasonIsTruncatedTo123Bytes) {
    start_server();
    auto conn = connect(ws_url());
    ASSERT_TRUE(conn) << conn.error().message();
    auto events = std::make_shared<Events>();
    (*conn)->start(Events::handlers(events));
    WsConnection* server = server_conn(0);
    ASSERT_NE(server, nullptr);
    server->send_text("last words");
    server->close(kClosePolicy, std::string(200, 'r'));
    ASSERT_TRUE(events->wait_end());
    ASSERT_TRUE(events->close.has_value()) << events->error->message();
    EXPECT_EQ(events->close->code, kClosePolicy);
    EXPECT_EQ(events->close->reason, std::string(kMaxCloseReasonBytes, 'r'));
    // Messages queued before the close arrive before it.
    ASSERT_EQ(events->messages.size(), 1u);
    EXPECT_EQ(events->messages[0].second, "last words");
}

TEST_F(WsTest, CloseWithoutCodeIsReportedAs1005) {
    start_server();
    int fd = raw_connect(server_->port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(raw_ws_handshake(fd, "/"));
    auto server = server_events(0);
    ASSERT_TRUE(server);
    ASSERT_TRUE(raw_send(fd, client_frame(0x8, "")));
    // A client closes the TCP connection once the server answered its close frame.
    EXPECT_NE(raw_read_until(fd, "\x88").find('\x88'), std::string::npos);
    raw_close(fd);
    ASSERT_TRUE(server->wait_end());
    ASSERT_TRUE(server->close.has_value()) << server->error->message();
    EXPECT_EQ(server->close->code, kCloseNoStatus);
    EXPECT_EQ(server->close->reason, "");
}

TEST_F(WsTest, OversizedMessageFailsReceiverAndPeerSees1009) {
    WsServerOptions options;
    options.max_message_bytes = 1024;
    start_server(options);
    auto conn = connect(ws_url());
    ASSERT_TRUE(conn) << conn.error().message();
    auto events = std::make_shared<Events>();
    (*conn)->start(Events::handlers(events));
    auto server = server_events(0);
    ASSERT_TRUE(server);
    (*conn)->send_binary(std::string(4096, 'b'));
    ASSERT_TRUE(server->wait_end());
    ASSERT_TRUE(server->error.has_value()) << server->close->code << " " << server->close->reason;
    EXPECT_EQ(error_kind(*server->error), Error::kMessageTooBig);
    EXPECT_NE(server->error->message().find("too big"), std::string::npos)
        << server->error->message();
    ASSERT_TRUE(events->wait_end());
    ASSERT_TRUE(events->close.has_value()) << events->error->message();
    EXPECT_EQ(events->close->code, kCloseTooBig);
}

// The server gives up after the frame header while the client still sends tens of megabytes:
// the close frame must reach the client before the TCP connection goes (no reset, no 1006).
TEST_F(WsTest, PeerStillSendingAnOversizedMessageSees1009) {
    WsServerOptions options;
    options.max_message_bytes = 1024;
    start_server(options);
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto conn = connect(ws_url());
        ASSERT_TRUE(conn) << conn.error().message();
        auto events = std::make_shared<Events>();
        (*conn)->start(Events::handlers(events));
        (*conn)->send_binary(std::string(std::size_t{48} << 20, 'b'));
        ASSERT_TRUE(events->wait_end());
        ASSERT_TRUE(events->close.has_value()) << events->error->message();
        EXPECT_EQ(events->close->code, kCloseTooBig);
    }
}

TEST_F(WsTest, PeerVanishingMidMessageGivesClearError) {
    start_server();
    int fd = raw_connect(server_->port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(raw_ws_handshake(fd, "/"));
    auto server = server_events(0);
    ASSERT_TRUE(server);
    // A frame that announces 1000 bytes, then only 10, then the socket goes away.
    std::string frame = client_frame(0x2, std::string(10, 'p'), 1000);
    ASSERT_TRUE(raw_send(fd, frame));
    raw_close(fd);
    ASSERT_TRUE(server->wait_end());
    ASSERT_TRUE(server->error.has_value());
    EXPECT_EQ(error_kind(*server->error), Error::kConnectionLost) << server->error->message();
    EXPECT_EQ(*server->error, Condition::kConnectionClosed);
    EXPECT_NE(server->error->message().find("connection lost"), std::string::npos)
        << server->error->message();
    EXPECT_TRUE(server->messages.empty());
}

TEST_F(WsTest, HandshakeTimeoutIsReportedAsTimeout) {
    RawListener silent;  // accepts (the kernel does) and never answers
    WsClientOptions options;
    options.handshake_timeout = std::chrono::milliseconds(300);
    auto conn = connect("ws://127.0.0.1:" + std::to_string(silent.port) + "/", {}, options);
    ASSERT_FALSE(conn);
    EXPECT_EQ(error_kind(conn.error()), Error::kTimeout) << conn.error().message();
    EXPECT_EQ(conn.error(), Condition::kTimeout);
    EXPECT_NE(conn.error().message().find("timed out"), std::string::npos)
        << conn.error().message();
}

TEST_F(WsTest, TlsHandshakeTimeoutIsReportedAsTimeout) {
    RawListener silent;
    WsClientOptions options;
    options.handshake_timeout = std::chrono::milliseconds(300);
    options.ca_file = test_pki().ca_cert;
    options.resolve_override = ResolveOverride{"localhost", "127.0.0.1", silent.port};
    auto conn = connect("wss://localhost:" + std::to_string(silent.port) + "/", {}, options);
    ASSERT_FALSE(conn);
    EXPECT_EQ(error_kind(conn.error()), Error::kTimeout) << conn.error().message();
}

TEST_F(WsTest, RefusedConnectionIsConnectFailed) {
    std::uint16_t port = 0;
    {
        RawListener closed_again;
        port = closed_again.port;
    }
    auto conn = connect("ws://127.0.0.1:" + std::to_string(port) + "/");
    ASSERT_FALSE(conn);
    EXPECT_EQ(error_kind(conn.error()), Error::kConnectFailed) << conn.error().message();
    EXPECT_NE(conn.error().message().find("127.0.0.1:" + std::to_string(port)), std::string::npos);
}

TEST_F(WsTest, DroppingTheConnectionClosesWithGoingAway) {
    start_server();
    auto conn = connect(ws_url());
    ASSERT_TRUE(conn) << conn.error().message();
    auto server = server_events(0);
    ASSERT_TRUE(server);
    conn->reset();
    ASSERT_TRUE(server->wait_end());
    ASSERT_TRUE(server->close.has_value());
    EXPECT_EQ(server->close->code, kCloseGoingAway);
}

TEST_F(WsTest, SendsAfterCloseAreIgnored) {
    start_server();
    auto conn = connect(ws_url());
    ASSERT_TRUE(conn) << conn.error().message();
    auto events = std::make_shared<Events>();
    (*conn)->start(Events::handlers(events));
    (*conn)->close(kCloseNormal, "done");
    (*conn)->send_text("too late");
    ASSERT_TRUE(events->wait_end());
    EXPECT_TRUE(events->messages.empty());
    EXPECT_EQ((*conn)->queued_bytes(), 0u);
}

// --- wss ------------------------------------------------------------------------------------

class WssTest : public WsFixture {
protected:
    void start_tls_server(bool rogue = false) {
        WsServerOptions options;
        options.cert_file = rogue ? test_pki().rogue_cert : test_pki().server_cert;
        options.key_file = rogue ? test_pki().rogue_key : test_pki().server_key;
        start_server(options);
        ASSERT_TRUE(server_->tls());
    }
    WsClientOptions tls_options(const std::string& name) const {
        WsClientOptions options;
        options.ca_file = test_pki().ca_cert;
        options.resolve_override = ResolveOverride{name, "127.0.0.1", server_->port()};
        return options;
    }
};

TEST_F(WssTest, MessagesPingAndCloseOverTls) {
    start_tls_server();
    auto conn = connect("wss://localhost:" + std::to_string(server_->port()) + "/x", {},
                        tls_options("localhost"));
    ASSERT_TRUE(conn) << conn.error().message();
    auto events = std::make_shared<Events>();
    (*conn)->start(Events::handlers(events));
    const std::string big = bytes_pattern(5 << 20);
    (*conn)->send_text("hello tls");
    (*conn)->send_binary(big);
    (*conn)->ping("p");
    ASSERT_TRUE(events->wait_messages(2));
    EXPECT_EQ(events->messages[0], std::make_pair(MessageKind::kText, std::string("hello tls")));
    EXPECT_TRUE(events->messages[1].second == big);
    ASSERT_TRUE(events->wait([](Events& e) { return !e.pongs.empty(); }));
    auto server = server_events(0);
    (*conn)->close(kCloseNormal, "tls bye");
    ASSERT_TRUE(server->wait_end());
    ASSERT_TRUE(server->close.has_value());
    EXPECT_EQ(server->close->code, kCloseNormal);
    EXPECT_EQ(server->close->reason, "tls bye");
}

TEST_F(WssTest, RealHostNameCanBePointedAtLoopback) {
    start_tls_server();
    auto conn = connect("wss://generativelanguage.googleapis.com/ws/x?key=SECRETKEY", {},
                        tls_options("generativelanguage.googleapis.com"));
    ASSERT_TRUE(conn) << conn.error().message();
    auto reqs = requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].header("host").value_or(""), "generativelanguage.googleapis.com");
}

TEST_F(WssTest, AddressNotInCertificateIsRefused) {
    start_tls_server();
    WsClientOptions options;
    options.ca_file = test_pki().ca_cert;
    auto conn = connect("wss://127.0.0.1:" + std::to_string(server_->port()) + "/", {}, options);
    ASSERT_FALSE(conn);
    EXPECT_EQ(error_kind(conn.error()), Error::kHostMismatch) << conn.error().message();
    EXPECT_EQ(conn.error(), Condition::kTlsFailed);
    EXPECT_NE(conn.error().message().find("'127.0.0.1'"), std::string::npos)
        << conn.error().message();
}

TEST_F(WssTest, WrongHostNameIsRefused) {
    start_tls_server();
    auto conn = connect("wss://wrong.example:443/", {}, tls_options("wrong.example"));
    ASSERT_FALSE(conn);
    EXPECT_EQ(error_kind(conn.error()), Error::kHostMismatch) << conn.error().message();
    EXPECT_NE(conn.error().message().find("wrong.example"), std::string::npos)
        << conn.error().message();
}

TEST_F(WssTest, UntrustedCertificateIsRefused) {
    start_tls_server(/*rogue=*/true);
    auto conn = connect("wss://localhost:" + std::to_string(server_->port()) + "/", {},
                        tls_options("localhost"));
    ASSERT_FALSE(conn);
    EXPECT_EQ(error_kind(conn.error()), Error::kNotVerified) << conn.error().message();
    EXPECT_NE(conn.error().message().find("--ca-file"), std::string::npos)
        << conn.error().message();
}

TEST_F(WssTest, MissingCaFileIsAConfigError) {
    start_tls_server();
    WsClientOptions options = tls_options("localhost");
    options.ca_file = test_pki().dir + "/nope.pem";
    auto conn = connect("wss://localhost:1/", {}, options);
    ASSERT_FALSE(conn);
    EXPECT_EQ(error_kind(conn.error()), Error::kTlsConfig) << conn.error().message();
}

TEST_F(WssTest, PlainClientAgainstTlsServerFailsCleanly) {
    start_tls_server();
    WsClientOptions options;
    options.handshake_timeout = std::chrono::milliseconds(2000);
    auto conn = connect(ws_url(), {}, options);
    ASSERT_FALSE(conn);
    EXPECT_NE(error_kind(conn.error()), Error{}) << conn.error().message();
}

}  // namespace
}  // namespace parley::transport::testing

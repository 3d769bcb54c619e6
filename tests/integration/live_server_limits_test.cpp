// SPDX-License-Identifier: Apache-2.0
// The local server's limits and access control over loopback: too many sessions, messages too
// large, a session holding too much, the --token, the browser Origin check, and `parley serve`
// refusing a reachable --host without a token. Each test checks what a client would see.
#include "server/live_server.hpp"

#include <sys/wait.h>

#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "live_test_client.hpp"
#include "protocol/codec.hpp"
#include "transport/error.hpp"
#include "transport/event_loop.hpp"
#include "transport/ws_client.hpp"

namespace parley {
namespace {

using namespace std::chrono_literals;
using test::LiveTestClient;

constexpr const char* kLivePath =
    "//ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent";

std::unique_ptr<server::LiveServer> start_server(server::ServerOptions options) {
    options.port = 0;
    options.speech = false;  // turn detection only: these tests need no speech
    auto started = server::LiveServer::start(std::move(options));
    if (!started) {
        ADD_FAILURE() << started.error().message();
        return nullptr;
    }
    return std::move(*started);
}

// A bare client that connects with the query and headers a test gives, sends setup, and
// records whether setupComplete came and how the connection ended.
class RawClient {
public:
    RawClient() { loop_.start(); }
    ~RawClient() {
        std::promise<void> done;
        loop_.post([&] {
            connection_.reset();
            done.set_value();
        });
        done.get_future().wait();
        loop_.stop();
    }

    // The upgrade's result: empty on success, else the transport's error.
    std::error_code connect(std::uint16_t port, const std::string& query,
                            transport::Headers headers = {}) {
        std::promise<Result<std::unique_ptr<transport::WsConnection>>> connected;
        transport::connect_ws(loop_, "ws://127.0.0.1:" + std::to_string(port) + kLivePath + query,
                              std::move(headers), {},
                              [&](Result<std::unique_ptr<transport::WsConnection>> result) {
                                  connected.set_value(std::move(result));
                              });
        auto result = connected.get_future().get();
        if (!result)
            return result.error();
        std::promise<void> started;
        loop_.post([&] {
            connection_ = std::move(*result);
            transport::WsHandlers handlers;
            handlers.on_message = [this](transport::MessageKind, std::string payload) {
                auto decoded = protocol::decode_server_message(payload);
                std::lock_guard lock(mutex_);
                if (decoded && decoded->setup_complete)
                    setup_complete_ = true;
                changed_.notify_all();
            };
            handlers.on_close = [this](const transport::CloseInfo& info) {
                std::lock_guard lock(mutex_);
                closed_ = info;
                changed_.notify_all();
            };
            handlers.on_error = [this](std::error_code ec) {
                std::lock_guard lock(mutex_);
                closed_ = transport::CloseInfo{1006, ec.message(), true};
                changed_.notify_all();
            };
            connection_->start(std::move(handlers));
            protocol::Setup setup;
            setup.model = "models/gemini-2.0-flash-live-001";
            connection_->send_text(protocol::encode_client_message(setup));
            started.set_value();
        });
        started.get_future().wait();
        return {};
    }

    bool wait_setup_complete(std::chrono::milliseconds timeout = 10s) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return setup_complete_ || closed_; }) &&
               setup_complete_;
    }
    std::optional<transport::CloseInfo> wait_closed(std::chrono::milliseconds timeout = 10s) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, timeout, [&] { return closed_.has_value(); });
        return closed_;
    }

private:
    transport::EventLoop loop_;
    std::unique_ptr<transport::WsConnection> connection_;  // io only
    std::mutex mutex_;
    std::condition_variable changed_;
    bool setup_complete_ = false;
    std::optional<transport::CloseInfo> closed_;
};

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

protocol::ClientContent history_text(std::size_t bytes) {
    protocol::Content turn;
    turn.role = "user";
    protocol::Part part;
    part.text = std::string(bytes, 'a');
    turn.parts.push_back(std::move(part));
    protocol::ClientContent content;
    content.turns = std::vector<protocol::Content>{std::move(turn)};
    content.turn_complete = false;
    return content;
}

TEST(LiveServerLimits, SessionsPastTheLimitAreToldToTryAgainLater) {
    server::ServerOptions options;
    options.max_connections = 2;
    auto server = start_server(options);
    ASSERT_TRUE(server);
    auto first = LiveTestClient::connect(server->port(), test::transcribed_setup());
    auto second = LiveTestClient::connect(server->port(), test::transcribed_setup());
    ASSERT_TRUE(first && second);

    RawClient third;
    ASSERT_FALSE(third.connect(server->port(), "?key=k"));
    const auto closed = third.wait_closed();
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1011);
    EXPECT_EQ(closed->reason, "too many sessions; try again later");
    EXPECT_FALSE(third.wait_setup_complete(100ms));

    // Once one leaves, the next gets in.
    first.reset();
    ASSERT_TRUE(wait_until([&] { return server->session_count() < 2; }));
    RawClient fourth;
    ASSERT_FALSE(fourth.connect(server->port(), "?key=k"));
    EXPECT_TRUE(fourth.wait_setup_complete());
}

TEST(LiveServerLimits, MessageLargerThanTheLimitClosesWith1009) {
    server::ServerOptions options;
    options.max_message_bytes = 64 << 10;
    auto server = start_server(options);
    ASSERT_TRUE(server);
    auto client = LiveTestClient::connect(server->port(), test::transcribed_setup());
    ASSERT_TRUE(client);
    client->send(history_text(32 << 10));  // under the limit: the session goes on
    client->send_text_turn("hello");
    EXPECT_TRUE(client->next_turn(0, 20s));
    client->send(history_text(100 << 10));
    const auto closed = client->wait_closed(10s);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1009);
}

TEST(LiveServerLimits, SessionHoldingTooMuchIsClosedWithAReason) {
    server::ServerOptions options;
    options.max_session_memory_bytes = 256 << 10;
    auto server = start_server(options);
    ASSERT_TRUE(server);
    auto client = LiveTestClient::connect(server->port(), test::transcribed_setup());
    ASSERT_TRUE(client);
    client->send(history_text(100 << 10));
    client->send(history_text(100 << 10));
    EXPECT_FALSE(client->wait_closed(300ms)) << "closed while under the limit";
    client->send(history_text(100 << 10));
    const auto closed = client->wait_closed(10s);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1011);
    EXPECT_NE(closed->reason.find("memory limit"), std::string::npos) << closed->reason;
    EXPECT_NE(closed->reason.find("history"), std::string::npos) << closed->reason;
}

class LiveServerToken : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        server::ServerOptions options;
        options.token = "s3cret-token";
        server_ = start_server(options);
    }
    static void TearDownTestSuite() { server_.reset(); }
    static inline std::unique_ptr<server::LiveServer> server_;
};

TEST_F(LiveServerToken, TheTokenGetsInAsKeyHeaderOrBearer) {
    ASSERT_TRUE(server_);
    RawClient by_query, by_header, by_bearer;
    ASSERT_FALSE(by_query.connect(server_->port(), "?key=s3cret-token"));
    ASSERT_FALSE(by_header.connect(server_->port(), "", {{"x-goog-api-key", "s3cret-token"}}));
    ASSERT_FALSE(
        by_bearer.connect(server_->port(), "", {{"Authorization", "Bearer s3cret-token"}}));
    EXPECT_TRUE(by_query.wait_setup_complete());
    EXPECT_TRUE(by_header.wait_setup_complete());
    EXPECT_TRUE(by_bearer.wait_setup_complete());
}

TEST_F(LiveServerToken, AWrongTokenIsClosedWithInvalidToken) {
    ASSERT_TRUE(server_);
    for (const auto& [query, headers] : std::vector<std::pair<std::string, transport::Headers>>{
             {"?key=s3cret-tokem", {}},
             {"?key=s3cret", {}},
             {"", {{"x-goog-api-key", "s3cret-token2"}}},
             {"", {{"Authorization", "Bearer wrong"}}}}) {
        RawClient client;
        ASSERT_FALSE(client.connect(server_->port(), query, headers));
        const auto closed = client.wait_closed();
        ASSERT_TRUE(closed) << query;
        EXPECT_EQ(closed->code, 1008);
        EXPECT_TRUE(closed->reason.starts_with("invalid token")) << closed->reason;
        EXPECT_EQ(closed->reason.find("s3cret"), std::string::npos) << "the reason names the token";
        EXPECT_FALSE(client.wait_setup_complete(50ms));
    }
    EXPECT_TRUE(wait_until([&] { return server_->session_count() == 0; }));
}

TEST_F(LiveServerToken, NoKeyAtAllIsRefusedWith401) {
    ASSERT_TRUE(server_);
    RawClient client;
    const auto ec = client.connect(server_->port(), "");
    ASSERT_TRUE(ec);
    EXPECT_EQ(transport::http_status_of(ec), 401);
}

TEST(LiveServerOrigin, BrowserPagesOfOtherOriginsAreRefusedUnlessAllowed) {
    server::ServerOptions options;
    options.allowed_origins = {"https://app.example.com"};
    auto server = start_server(options);
    ASSERT_TRUE(server);
    for (const char* origin : {"http://evil.example", "null", "http://localhost.evil.example:80",
                               "http://127.0.0.1.evil.example"}) {
        RawClient client;
        const auto ec = client.connect(server->port(), "?key=k", {{"Origin", origin}});
        ASSERT_TRUE(ec) << origin;
        EXPECT_EQ(transport::http_status_of(ec), 403) << origin;
    }
    for (const char* origin : {"http://localhost:3000", "http://127.0.0.1:8080",
                               "https://app.example.com", "http://[::1]:5173"}) {
        RawClient client;
        ASSERT_FALSE(client.connect(server->port(), "?key=k", {{"Origin", origin}})) << origin;
        EXPECT_TRUE(client.wait_setup_complete()) << origin;
    }
}

TEST(LiveServerOrigin, LoopbackHostsAndOrigins) {
    for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]"}) {
        EXPECT_TRUE(server::is_loopback_host(host)) << host;
    }
    for (const char* host : {"0.0.0.0", "::", "192.168.1.2", "127.0.0.1.example.com", "127.0.0",
                             "127.0.0.256", "example.com", ""}) {
        EXPECT_FALSE(server::is_loopback_host(host)) << host;
    }
    EXPECT_TRUE(server::origin_allowed("http://localhost", {}));
    EXPECT_TRUE(server::origin_allowed("https://127.0.0.1:9000/", {}));
    EXPECT_FALSE(server::origin_allowed("http://localhost:30x0", {}));
    EXPECT_FALSE(server::origin_allowed("http://user@localhost", {}));
    EXPECT_FALSE(server::origin_allowed("ftp://localhost", {}));
    EXPECT_TRUE(server::origin_allowed("https://App.Example.com", {"https://app.example.com/"}));
    EXPECT_TRUE(server::origin_allowed("https://anything.example", {"*"}));
}

#ifdef PARLEY_BINARY
struct Run {
    int exit_code = -1;
    std::string output;
};

Run run(const std::string& arguments) {
    Run result;
    FILE* pipe = ::popen((std::string(PARLEY_BINARY) + " " + arguments + " 2>&1").c_str(), "r");
    if (pipe == nullptr)
        return result;
    char buffer[4096];
    while (const auto n = std::fread(buffer, 1, sizeof buffer, pipe))
        result.output.append(buffer, n);
    const int status = ::pclose(pipe);
    if (WIFEXITED(status))
        result.exit_code = WEXITSTATUS(status);
    return result;
}

TEST(ParleyServe, AReachableHostNeedsAToken) {
    const auto refused = run("serve --no-speech --port 0 --host 0.0.0.0");
    EXPECT_EQ(refused.exit_code, 2) << refused.output;
    EXPECT_NE(refused.output.find("--token"), std::string::npos) << refused.output;
    EXPECT_EQ(refused.output.find("listening on"), std::string::npos) << refused.output;
}

TEST(ParleyServe, HelpListsTheLimitsWithTheirDefaults) {
    const auto help = run("serve --help");
    EXPECT_EQ(help.exit_code, 0);
    for (const char* option : {"--max-connections", "--max-message-mb", "--max-session-mb",
                               "--max-connection-seconds", "--token", "--allow-origin"}) {
        EXPECT_NE(help.output.find(option), std::string::npos) << option;
    }
    EXPECT_NE(help.output.find("=64"), std::string::npos) << help.output;
    EXPECT_NE(help.output.find("=16"), std::string::npos) << help.output;
}
#endif

}  // namespace
}  // namespace parley

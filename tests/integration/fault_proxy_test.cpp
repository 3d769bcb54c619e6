// SPDX-License-Identifier: Apache-2.0
// FaultProxy (tests/support) on its own: between a WebSocket echo server and a client of ours it
// forwards every message both ways unchanged, cuts connections when told or on schedule,
// corrupts and truncates frames, delays without reordering, and replays a seed's schedule.
#include "support/fault_proxy.hpp"

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "transport/event_loop.hpp"
#include "transport/ws_client.hpp"
#include "transport/ws_connection.hpp"
#include "transport/ws_server.hpp"

namespace parley::test {
namespace {

using namespace std::chrono_literals;

// Sends back every message it gets.
class EchoServer {
public:
    EchoServer() {
        loop_.start();
        auto server = transport::WsServer::listen(
            loop_, transport::WsServerOptions{}, [this](const transport::UpgradeRequest&) {
                return transport::UpgradeDecision::accept(
                    [this](std::unique_ptr<transport::WsConnection> c) {
                        auto* raw = c.get();
                        transport::WsHandlers handlers;
                        // Binary back, as the Live API does: a corrupted payload then arrives
                        // as a message (text frames must be valid UTF-8).
                        handlers.on_message = [raw](transport::MessageKind, std::string p) {
                            raw->send_binary(std::move(p));
                        };
                        c->start(std::move(handlers));
                        std::lock_guard lock(mutex_);
                        connections_.push_back(std::move(c));
                    });
            });
        if (server)
            server_ = std::move(*server);
    }
    ~EchoServer() {
        if (server_)
            server_->stop();
        std::vector<std::unique_ptr<transport::WsConnection>> connections;
        {
            std::lock_guard lock(mutex_);
            connections.swap(connections_);
        }
        connections.clear();
        loop_.stop();
    }
    std::uint16_t port() const { return server_->port(); }

private:
    transport::EventLoop loop_;
    std::unique_ptr<transport::WsServer> server_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<transport::WsConnection>> connections_;
};

// A client connection that records what comes back and how it ended.
class Client {
public:
    explicit Client(const std::string& url) {
        loop_.start();
        transport::connect_ws(loop_, url, {}, {}, [this](auto result) {
            std::lock_guard lock(mutex_);
            if (result) {
                connection_ = std::move(*result);
                transport::WsHandlers handlers;
                handlers.on_message = [this](transport::MessageKind, std::string payload) {
                    std::lock_guard lock(mutex_);
                    received_.push_back(std::move(payload));
                    changed_.notify_all();
                };
                handlers.on_close = [this](const transport::CloseInfo&) { end(); };
                handlers.on_error = [this](std::error_code) { end(); };
                connection_->start(std::move(handlers));
            } else {
                ended_ = true;
            }
            connected_ = true;
            changed_.notify_all();
        });
    }
    ~Client() {
        std::unique_ptr<transport::WsConnection> connection;
        {
            std::lock_guard lock(mutex_);
            connection = std::move(connection_);
        }
        connection.reset();
        loop_.stop();
    }
    bool wait_connected() {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, 10s, [&] { return connected_; });
        return connection_ != nullptr;
    }
    void send(const std::string& text) {
        std::lock_guard lock(mutex_);
        connection_->send_text(text);
    }
    bool wait_received(std::size_t count) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, 20s, [&] { return received_.size() >= count || ended_; }) &&
               received_.size() >= count;
    }
    bool wait_ended() {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, 20s, [&] { return ended_; });
    }
    std::vector<std::string> received() {
        std::lock_guard lock(mutex_);
        return received_;
    }

private:
    void end() {
        std::lock_guard lock(mutex_);
        ended_ = true;
        changed_.notify_all();
    }
    transport::EventLoop loop_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::unique_ptr<transport::WsConnection> connection_;
    std::vector<std::string> received_;
    bool connected_ = false;
    bool ended_ = false;
};

std::vector<std::string> numbered(std::size_t count, std::size_t bytes = 200) {
    std::vector<std::string> messages;
    for (std::size_t i = 0; i < count; ++i) {
        auto text = "message " + std::to_string(i) + " ";
        text.resize(bytes, static_cast<char>('a' + i % 26));
        messages.push_back(text);
    }
    return messages;
}

// Which of the echoed messages came back different from what was sent.
std::vector<std::size_t> changed_indices(const std::vector<std::string>& sent,
                                         const std::vector<std::string>& back) {
    std::vector<std::size_t> changed;
    for (std::size_t i = 0; i < std::min(sent.size(), back.size()); ++i) {
        if (sent[i] != back[i])
            changed.push_back(i);
    }
    return changed;
}

TEST(FaultProxyTest, WithoutFaultsForwardsEveryMessageBothWaysUnchanged) {
    EchoServer echo;
    auto proxy = FaultProxy::start(echo.port(), {});
    ASSERT_TRUE(proxy);
    Client client((*proxy)->url());
    ASSERT_TRUE(client.wait_connected());
    const auto sent = numbered(50, 70'000);  // frames with 16- and 64-bit lengths
    const auto small = numbered(50, 10);
    for (std::size_t i = 0; i < sent.size(); ++i) {
        client.send(sent[i]);
        client.send(small[i]);
    }
    ASSERT_TRUE(client.wait_received(100));
    const auto back = client.received();
    for (std::size_t i = 0; i < sent.size(); ++i) {
        EXPECT_EQ(back[2 * i], sent[i]) << i;
        EXPECT_EQ(back[2 * i + 1], small[i]) << i;
    }
    const auto stats = (*proxy)->stats();
    EXPECT_EQ(stats.connections, 1u);
    EXPECT_EQ(stats.frames_up, 100u);
    EXPECT_EQ(stats.frames_down, 100u);
    EXPECT_EQ(stats.drops, 0u);
}

TEST(FaultProxyTest, DropConnectionsCutsTheClientOffAndNewConnectionsStillWork) {
    EchoServer echo;
    auto proxy = FaultProxy::start(echo.port(), {});
    ASSERT_TRUE(proxy);
    Client first((*proxy)->url());
    ASSERT_TRUE(first.wait_connected());
    first.send("before");
    ASSERT_TRUE(first.wait_received(1));
    (*proxy)->drop_connections();
    EXPECT_TRUE(first.wait_ended()) << "the client sees its connection fail";
    EXPECT_EQ((*proxy)->stats().drops, 1u);

    Client second((*proxy)->url());
    ASSERT_TRUE(second.wait_connected());
    second.send("after");
    ASSERT_TRUE(second.wait_received(1));
    EXPECT_EQ(second.received()[0], "after");
}

TEST(FaultProxyTest, RefusedConnectionsFailUntilAllowedAgain) {
    EchoServer echo;
    auto proxy = FaultProxy::start(echo.port(), {});
    ASSERT_TRUE(proxy);
    (*proxy)->refuse_connections(true);
    {
        Client refused((*proxy)->url());
        EXPECT_FALSE(refused.wait_connected());
    }
    EXPECT_GE((*proxy)->stats().refused, 1u);
    (*proxy)->refuse_connections(false);
    Client allowed((*proxy)->url());
    EXPECT_TRUE(allowed.wait_connected());
}

TEST(FaultProxyTest, ScheduledDropsRecur) {
    EchoServer echo;
    auto proxy = FaultProxy::start(echo.port(), {.seed = 7, .drop_every = 100ms});
    ASSERT_TRUE(proxy);
    for (std::uint64_t i = 1; i <= 2; ++i) {
        Client client((*proxy)->url());
        EXPECT_TRUE(client.wait_ended()) << "connection " << i << " is cut on schedule";
        EXPECT_GE((*proxy)->stats().drops, i);
    }
}

TEST(FaultProxyTest, CorruptionChangesPayloadsAndTheSeedReplaysWhichOnes) {
    const auto sent = numbered(60);
    auto run = [&](std::uint64_t seed) {
        EchoServer echo;
        auto proxy = FaultProxy::start(
            echo.port(), {.seed = seed, .corrupt_probability = 0.3, .faults_up = false});
        EXPECT_TRUE(proxy);
        Client client((*proxy)->url());
        EXPECT_TRUE(client.wait_connected());
        for (const auto& m : sent) client.send(m);
        EXPECT_TRUE(client.wait_received(sent.size()));
        const auto changed = changed_indices(sent, client.received());
        EXPECT_EQ(changed.size(), (*proxy)->stats().corrupted);
        return changed;
    };
    const auto first = run(11);
    EXPECT_FALSE(first.empty());
    EXPECT_LT(first.size(), sent.size());
    EXPECT_EQ(run(11), first) << "the same seed corrupts the same frames";
    EXPECT_NE(run(12), first) << "another seed, another schedule";
}

TEST(FaultProxyTest, TruncationCutsTheConnectionInsideAFrame) {
    EchoServer echo;
    auto proxy = FaultProxy::start(echo.port(),
                                   {.seed = 3, .truncate_probability = 1.0, .faults_up = false});
    ASSERT_TRUE(proxy);
    Client client((*proxy)->url());
    ASSERT_TRUE(client.wait_connected());
    client.send(numbered(1, 5000)[0]);
    EXPECT_TRUE(client.wait_ended());
    EXPECT_TRUE(client.received().empty()) << "half a frame is never a message";
    EXPECT_EQ((*proxy)->stats().truncated, 1u);
    EXPECT_EQ((*proxy)->stats().drops, 1u);
}

TEST(FaultProxyTest, DelaysKeepEveryMessageInOrder) {
    EchoServer echo;
    auto proxy =
        FaultProxy::start(echo.port(), {.seed = 5, .delay_probability = 0.5, .max_delay = 20ms});
    ASSERT_TRUE(proxy);
    Client client((*proxy)->url());
    ASSERT_TRUE(client.wait_connected());
    const auto sent = numbered(40);
    for (const auto& m : sent) client.send(m);
    ASSERT_TRUE(client.wait_received(sent.size()));
    EXPECT_EQ(client.received(), sent);
    EXPECT_GT((*proxy)->stats().delayed, 0u);
}

}  // namespace
}  // namespace parley::test

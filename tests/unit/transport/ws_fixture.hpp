// SPDX-License-Identifier: Apache-2.0
// Shared fixture of the WebSocket loopback tests: an EventLoop, a WsServer whose connections
// record what they see (and echo if asked), and a client connect helper.
#pragma once

#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"
#include "transport/event_loop.hpp"
#include "transport/ws_client.hpp"
#include "transport/ws_connection.hpp"
#include "transport/ws_server.hpp"

namespace parley::transport::testing {

// What one side of a connection saw; filled on io, read by the test thread.
struct Events {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::pair<MessageKind, std::string>> messages;
    std::vector<std::string> pongs;
    std::optional<CloseInfo> close;
    std::optional<std::error_code> error;
    int terminal_events = 0;

    // Handlers recording into `events`; with `echo_to`, each message is sent back on it.
    static WsHandlers handlers(const std::shared_ptr<Events>& events,
                               WsConnection* echo_to = nullptr) {
        WsHandlers h;
        h.on_message = [events, echo_to](MessageKind kind, std::string payload) {
            if (echo_to) {
                if (kind == MessageKind::kText) {
                    echo_to->send_text(payload);
                } else {
                    echo_to->send_binary(payload);
                }
            }
            std::lock_guard lock(events->mutex);
            events->messages.emplace_back(kind, std::move(payload));
            events->changed.notify_all();
        };
        h.on_pong = [events](std::string payload) {
            std::lock_guard lock(events->mutex);
            events->pongs.push_back(std::move(payload));
            events->changed.notify_all();
        };
        h.on_close = [events](const CloseInfo& info) {
            std::lock_guard lock(events->mutex);
            events->close = info;
            ++events->terminal_events;
            events->changed.notify_all();
        };
        h.on_error = [events](std::error_code ec) {
            std::lock_guard lock(events->mutex);
            events->error = ec;
            ++events->terminal_events;
            events->changed.notify_all();
        };
        return h;
    }

    bool wait(const std::function<bool(Events&)>& done,
              std::chrono::seconds limit = std::chrono::seconds(20)) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, limit, [&] { return done(*this); });
    }
    bool wait_messages(std::size_t n) {
        return wait([n](Events& e) { return e.messages.size() >= n; });
    }
    bool wait_end() {
        return wait([](Events& e) { return e.terminal_events > 0; });
    }
};

class WsFixture : public ::testing::Test {
protected:
    void SetUp() override { loop_.start(); }
    void TearDown() override {
        // Connections go first, on io, so no handler runs on a dead fixture.
        std::promise<void> done;
        loop_.post([this, &done] {
            std::lock_guard lock(mutex_);
            server_conns_.clear();
            done.set_value();
        });
        done.get_future().wait();
        server_.reset();
        loop_.stop();
    }

    // Starts a server; `accept` decides upgrades (default: accept all). Accepted connections
    // record into server_events(i) and echo when echo_ is set.
    void start_server(WsServerOptions options = {},
                      std::function<bool(const UpgradeRequest&)> accept = nullptr) {
        auto server = WsServer::listen(
            loop_, std::move(options), [this, accept](const UpgradeRequest& request) {
                {
                    std::lock_guard lock(mutex_);
                    requests_.push_back(request);
                }
                if (accept && !accept(request))
                    return UpgradeDecision::reject(404, "no such endpoint\n");
                return UpgradeDecision::accept([this](std::unique_ptr<WsConnection> conn) {
                    auto events = std::make_shared<Events>();
                    conn->start(Events::handlers(events, echo_ ? conn.get() : nullptr));
                    std::lock_guard lock(mutex_);
                    server_events_.push_back(events);
                    server_conns_.push_back(std::move(conn));
                    opened_.notify_all();
                });
            });
        ASSERT_TRUE(server.has_value()) << server.error().message();
        server_ = std::move(*server);
    }

    Result<std::unique_ptr<WsConnection>> connect(const std::string& url, Headers headers = {},
                                                  WsClientOptions options = {}) {
        auto promise = std::make_shared<std::promise<Result<std::unique_ptr<WsConnection>>>>();
        auto future = promise->get_future();
        connect_ws(loop_, url, std::move(headers), std::move(options),
                   [promise](Result<std::unique_ptr<WsConnection>> result) {
                       promise->set_value(std::move(result));
                   });
        return wait_for(future, std::chrono::seconds(30));
    }

    std::string ws_url(const std::string& target = "/") const {
        return "ws://127.0.0.1:" + std::to_string(server_->port()) + target;
    }

    // The i-th accepted connection's events, waiting for it to open.
    std::shared_ptr<Events> server_events(std::size_t i) {
        std::unique_lock lock(mutex_);
        opened_.wait_for(lock, std::chrono::seconds(20), [&] { return server_events_.size() > i; });
        return server_events_.size() > i ? server_events_[i] : nullptr;
    }
    // The i-th accepted connection (io owns it; methods are thread-safe).
    WsConnection* server_conn(std::size_t i) {
        server_events(i);
        std::lock_guard lock(mutex_);
        return server_conns_.size() > i ? server_conns_[i].get() : nullptr;
    }
    std::vector<UpgradeRequest> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }

    EventLoop loop_;
    std::unique_ptr<WsServer> server_;
    bool echo_ = true;
    std::mutex mutex_;
    std::condition_variable opened_;
    std::vector<UpgradeRequest> requests_;
    std::vector<std::shared_ptr<Events>> server_events_;
    std::vector<std::unique_ptr<WsConnection>> server_conns_;  // destroyed on io in TearDown
};

}  // namespace parley::transport::testing

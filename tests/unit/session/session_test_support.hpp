// SPDX-License-Identifier: Apache-2.0
// Test helpers for LiveSession: RecordingSink (records every event with the thread it came on,
// and lets the test wait for one) and ScriptedPeer (a WebSocket server whose replies the test
// writes, recording what the client sent). Test thread + io.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "session/live_session_sink.hpp"
#include "transport/event_loop.hpp"
#include "transport/ws_connection.hpp"
#include "transport/ws_server.hpp"

namespace parley::session::test {

struct Event {
    std::string kind;  // "setup", "audio", "text", "input", "output", "generation", "turn",
                       // "interrupted", "tool_call", "cancel", "usage", "go_away", "resumption",
                       // "voice", "reconnecting", "resumed", "closed"
    TurnId turn = 0;
    std::string text;
    std::size_t samples = 0;
    int rate_hz = 0;
    std::vector<protocol::FunctionCall> calls;
    std::vector<std::string> ids;
    bool flag = false;
    std::chrono::milliseconds time_left{0};
    std::optional<protocol::UsageMetadata> usage;
    SessionClosed closed;
    Reconnecting reconnecting;
    Resumed resumed;
    std::thread::id thread;
};

class RecordingSink : public LiveSessionSink {
public:
    void on_setup_complete(const protocol::SetupComplete&) override { add(event("setup")); }
    void on_audio(AudioChunk chunk) override {
        auto e = event("audio", chunk.turn);
        e.samples = chunk.samples.size();
        e.rate_hz = chunk.rate_hz;
        add(std::move(e));
    }
    void on_text(TurnId turn, const std::string& text) override { add(event("text", turn, text)); }
    void on_input_transcription(const Transcript& t) override { add(event("input", 0, t.text)); }
    void on_output_transcription(TurnId turn, const Transcript& t) override {
        add(event("output", turn, t.text));
    }
    void on_generation_complete(TurnId turn) override { add(event("generation", turn)); }
    void on_turn_complete(const TurnComplete& c) override {
        auto e = event("turn", c.turn);
        e.usage = c.usage;
        add(std::move(e));
    }
    void on_interrupted(TurnId turn) override { add(event("interrupted", turn)); }
    void on_tool_call(const std::vector<protocol::FunctionCall>& calls) override {
        auto e = event("tool_call");
        e.calls = calls;
        add(std::move(e));
    }
    void on_tool_call_cancellation(const std::vector<std::string>& ids) override {
        auto e = event("cancel");
        e.ids = ids;
        add(std::move(e));
    }
    void on_usage(const protocol::UsageMetadata& usage) override {
        auto e = event("usage");
        e.usage = usage;
        add(std::move(e));
    }
    void on_go_away(std::chrono::milliseconds left) override {
        auto e = event("go_away");
        e.time_left = left;
        add(std::move(e));
    }
    void on_resumption_update(const std::string& handle, bool resumable) override {
        auto e = event("resumption", 0, handle);
        e.flag = resumable;
        add(std::move(e));
    }
    void on_voice_activity(protocol::VoiceActivityType type,
                           std::optional<std::chrono::nanoseconds>) override {
        add(event("voice", 0, std::string(protocol::to_string(type))));
    }
    void on_reconnecting(const Reconnecting& r) override {
        auto e = event("reconnecting", 0, r.message);
        e.reconnecting = r;
        add(std::move(e));
    }
    void on_resumed(const Resumed& r) override {
        auto e = event("resumed");
        e.resumed = r;
        add(std::move(e));
    }
    void on_closed(const SessionClosed& closed) override {
        auto e = event("closed");
        e.closed = closed;
        add(std::move(e));
    }

    // Index of the first event at or after `from` of `kind` (and matching `match`), waiting.
    std::optional<std::size_t> wait(const std::string& kind, std::size_t from = 0,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                    const std::function<bool(const Event&)>& match = {}) {
        std::unique_lock lock(mutex_);
        std::optional<std::size_t> found;
        changed_.wait_for(lock, timeout, [&] {
            for (std::size_t i = from; i < events_.size(); ++i) {
                if (events_[i].kind == kind && (!match || match(events_[i]))) {
                    found = i;
                    return true;
                }
            }
            return false;
        });
        return found;
    }
    std::vector<Event> events() {
        std::lock_guard lock(mutex_);
        return events_;
    }
    std::size_t count() {
        std::lock_guard lock(mutex_);
        return events_.size();
    }
    std::size_t count(const std::string& kind) {
        std::lock_guard lock(mutex_);
        return static_cast<std::size_t>(std::count_if(
            events_.begin(), events_.end(), [&](const Event& e) { return e.kind == kind; }));
    }

private:
    static Event event(std::string kind, TurnId turn = 0, std::string text = {}) {
        Event e;
        e.kind = std::move(kind);
        e.turn = turn;
        e.text = std::move(text);
        return e;
    }
    void add(Event e) {
        e.thread = std::this_thread::get_id();
        std::lock_guard lock(mutex_);
        events_.push_back(std::move(e));
        changed_.notify_all();
    }
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Event> events_;
};

// A server the test scripts: it accepts every upgrade, records the request and every message,
// and sends what the test tells it to.
class ScriptedPeer {
public:
    ScriptedPeer() {
        loop_.start();
        auto server = transport::WsServer::listen(
            loop_, transport::WsServerOptions{}, [this](const transport::UpgradeRequest& request) {
                {
                    std::lock_guard lock(mutex_);
                    requests_.push_back(request);
                }
                return transport::UpgradeDecision::accept(
                    [this](std::unique_ptr<transport::WsConnection> c) { on_open(std::move(c)); });
            });
        if (server)
            server_ = std::move(*server);
    }
    ~ScriptedPeer() {
        if (server_)
            server_->stop();
        std::vector<std::unique_ptr<transport::WsConnection>> connections;
        {
            std::lock_guard lock(mutex_);
            connections.swap(connections_);
        }
        connections.clear();  // outside the lock: a handler on io may be waiting for it
        loop_.stop();
    }

    [[nodiscard]] bool listening() const { return server_ != nullptr; }
    [[nodiscard]] std::string url() const {
        return "ws://127.0.0.1:" + std::to_string(server_->port());
    }
    [[nodiscard]] std::uint16_t port() const { return server_->port(); }

    // Sends `text` on the latest connection.
    void send(const std::string& text) {
        std::lock_guard lock(mutex_);
        if (!connections_.empty())
            connections_.back()->send_text(text);
    }
    void close(std::uint16_t code, const std::string& reason) {
        std::lock_guard lock(mutex_);
        if (!connections_.empty())
            connections_.back()->close(code, reason);
    }

    // Waits until `done(messages)` holds over every message received so far.
    bool wait_for(const std::function<bool(const std::vector<std::string>&)>& done,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return done(messages_); });
    }
    std::optional<transport::CloseInfo> wait_closed(
        std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, timeout, [&] { return closed_.has_value(); });
        return closed_;
    }
    std::vector<std::string> messages() {
        std::lock_guard lock(mutex_);
        return messages_;
    }
    std::vector<transport::UpgradeRequest> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    std::size_t connection_count() {
        std::lock_guard lock(mutex_);
        return connections_.size();
    }
    // Sends `text` on connection `index` (0 = the first accepted).
    void send_on(std::size_t index, const std::string& text) {
        std::lock_guard lock(mutex_);
        if (index < connections_.size())
            connections_[index]->send_text(text);
    }
    void close_on(std::size_t index, std::uint16_t code, const std::string& reason) {
        std::lock_guard lock(mutex_);
        if (index < connections_.size())
            connections_[index]->close(code, reason);
    }
    // The messages received on connection `index`, in order.
    std::vector<std::string> messages_on(std::size_t index) {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (std::size_t i = 0; i < messages_.size(); ++i) {
            if (message_connection_[i] == index)
                out.push_back(messages_[i]);
        }
        return out;
    }

private:
    void on_open(std::unique_ptr<transport::WsConnection> connection) {
        transport::WsHandlers handlers;
        std::size_t index = 0;
        {
            std::lock_guard lock(mutex_);
            index = connections_.size();
        }
        handlers.on_message = [this, index](transport::MessageKind, std::string payload) {
            std::lock_guard lock(mutex_);
            messages_.push_back(std::move(payload));
            message_connection_.push_back(index);
            changed_.notify_all();
        };
        handlers.on_close = [this](const transport::CloseInfo& info) {
            std::lock_guard lock(mutex_);
            closed_ = info;
            changed_.notify_all();
        };
        connection->start(std::move(handlers));
        std::lock_guard lock(mutex_);
        connections_.push_back(std::move(connection));
        changed_.notify_all();
    }

    transport::EventLoop loop_;
    std::unique_ptr<transport::WsServer> server_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<transport::UpgradeRequest> requests_;
    std::vector<std::unique_ptr<transport::WsConnection>> connections_;
    std::vector<std::string> messages_;
    std::vector<std::size_t> message_connection_;  // the connection of each message
    std::optional<transport::CloseInfo> closed_;
};

}  // namespace parley::session::test

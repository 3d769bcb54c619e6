// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the client's handling of server messages: LiveSession's decode and
// dispatch path, end to end. One in-process WebSocket server on loopback lives for the whole run;
// for each input a LiveSession connects to it, and the server answers its setup with
// setupComplete (unless the input starts with '!') and then the input's lines, one binary
// message each, then closes. The sink answers tool calls, as an application would. Checks that
// the session ends (on_closed) with no crash or sanitizer report. Seeds:
// fuzz/corpus/fuzz_session_events/seed_*.txt.
#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/log.hpp"
#include "session/live_session.hpp"
#include "transport/event_loop.hpp"
#include "transport/ws_server.hpp"

namespace {

using namespace parley;

// The scripted server: io only, except `script`, set by the fuzzer thread between runs.
struct ScriptServer {
    ScriptServer() {
        log::set_level(log::Level::kOff);
        loop.start();
        transport::WsServerOptions options;
        options.host = "127.0.0.1";
        options.port = 0;
        auto started =
            transport::WsServer::listen(loop, options, [this](const transport::UpgradeRequest&) {
                return transport::UpgradeDecision::accept(
                    [this](std::unique_ptr<transport::WsConnection> c) { on_open(std::move(c)); });
            });
        if (!started)
            __builtin_trap();
        listener = std::move(*started);
    }

    void on_open(std::unique_ptr<transport::WsConnection> connection) {
        const auto id = ++next_id;
        auto* raw = connection.get();
        connections.emplace(id, std::move(connection));
        auto forget = [this, id] { loop.post([this, id] { connections.erase(id); }); };
        std::vector<std::string> lines;
        {
            std::lock_guard lock(mutex);
            lines = script;
        }
        transport::WsHandlers handlers;
        bool answered = false;
        handlers.on_message = [raw, lines = std::move(lines), answered](transport::MessageKind,
                                                                        std::string) mutable {
            if (answered)
                return;  // the script plays once, after the setup
            answered = true;
            for (auto& line : lines) raw->send_binary(std::move(line));
            raw->close(1000, "");
        };
        handlers.on_close = [forget](const transport::CloseInfo&) { forget(); };
        handlers.on_error = [forget](std::error_code) { forget(); };
        raw->start(std::move(handlers));
    }

    transport::EventLoop loop;
    std::unique_ptr<transport::WsServer> listener;
    std::unordered_map<std::uint64_t, std::unique_ptr<transport::WsConnection>> connections;
    std::uint64_t next_id = 0;
    std::mutex mutex;
    std::vector<std::string> script;  // guarded by mutex
};

ScriptServer& the_server() {
    static auto* server = new ScriptServer();  // lives for the whole run
    return *server;
}

// An application: answers tool calls and reads every event's data.
class Sink final : public session::LiveSessionSink {
public:
    void on_audio(session::AudioChunk chunk) override { bytes_ += chunk.samples.size(); }
    void on_text(session::TurnId, const std::string& text) override { bytes_ += text.size(); }
    void on_input_transcription(const session::Transcript& t) override { bytes_ += t.text.size(); }
    void on_output_transcription(session::TurnId, const session::Transcript& t) override {
        bytes_ += t.text.size();
    }
    void on_tool_call(const std::vector<protocol::FunctionCall>& calls) override {
        std::vector<protocol::FunctionResponse> responses;
        for (const auto& call : calls) {
            protocol::FunctionResponse response;
            response.id = call.id;
            response.name = call.name;
            response.response = nlohmann::ordered_json{{"result", call.args.dump()}};
            responses.push_back(std::move(response));
        }
        if (session_ != nullptr)
            session_->send_tool_response(std::move(responses));
    }
    void on_resumption_update(const std::string& handle, bool) override { bytes_ += handle.size(); }
    void on_closed(const session::SessionClosed&) override {
        std::lock_guard lock(mutex_);
        if (!closed_) {
            closed_ = true;
            done_.set_value();
        }
    }

    void attach(session::LiveSession* session) { session_ = session; }
    std::future<void> closed() { return done_.get_future(); }

private:
    session::LiveSession* session_ = nullptr;
    std::size_t bytes_ = 0;
    std::mutex mutex_;
    bool closed_ = false;
    std::promise<void> done_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto& server = the_server();
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> lines;
    if (input.starts_with('!')) {
        input.remove_prefix(1);
    } else {
        lines.emplace_back(R"({"setupComplete":{}})");
    }
    while (!input.empty() && lines.size() < 64) {
        const auto end = input.find('\n');
        lines.emplace_back(input.substr(0, end));
        if (end == std::string_view::npos)
            break;
        input.remove_prefix(end + 1);
    }
    {
        std::lock_guard lock(server.mutex);
        server.script = std::move(lines);
    }

    Sink sink;
    auto closed = sink.closed();
    {
        session::LiveSession session(sink, &server.loop);
        sink.attach(&session);
        session::LiveSessionConfig config;
        config.model = "gemini-live-fuzz";
        config.connection.url = "ws://127.0.0.1:" + std::to_string(server.listener->port());
        config.connection.api_key = "fuzz-key";
        config.connection.setup_timeout = std::chrono::milliseconds(2000);
        config.reconnect.enabled = false;
        if (!session.connect(config, session::Environment{}))
            __builtin_trap();
        session.send_text("hello");
        closed.wait();
    }
    return 0;
}

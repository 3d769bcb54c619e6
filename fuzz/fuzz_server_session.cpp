// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the local server's session handling: each input is a sequence of client
// messages, one per line, fed to a fresh ServerSession (as its WebSocket would hand them over, on
// io) over an in-memory connection, without sockets; then the client goes away. Checks that
// every message the server sends decodes, and that it closes only with LIVE_PROTOCOL.md §8
// codes. Engines: turn detection and the builtin brain (no speech models). Seeds:
// fuzz/corpus/fuzz_server_session/seed_*.txt.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.hpp"
#include "protocol/codec.hpp"
#include "server/builtin_brain.hpp"
#include "server/server_options.hpp"
#include "server/server_session.hpp"
#include "server/session_store.hpp"
#include "server/work_pool.hpp"
#include "transport/event_loop.hpp"
#include "transport/ws_connection.hpp"

namespace {

using namespace parley;

// The server's side of a WebSocket, in memory. Everything runs on the fuzzer's io loop.
class MemoryConnection final : public transport::WsConnection {
public:
    explicit MemoryConnection(transport::EventLoop& loop) : loop_(loop) {}

    void start(transport::WsHandlers handlers) override { handlers_ = std::move(handlers); }
    void send_text(std::string payload) override { sent(std::move(payload)); }
    void send_binary(std::string payload) override { sent(std::move(payload)); }
    void ping(std::string) override {}
    void close(std::uint16_t code, std::string reason) override {
        if (!open_)
            return;
        open_ = false;
        // §8: invalid payload, policy, too big, internal; 1001 when the server stops.
        if (code != 1007 && code != 1008 && code != 1009 && code != 1011 && code != 1001) {
            __builtin_trap();
        }
        if (reason.empty())
            __builtin_trap();  // every close says why
        loop_.post([handlers = handlers_, code] {
            if (handlers.on_close)
                handlers.on_close({code, "", false});
        });
    }
    [[nodiscard]] std::size_t queued_bytes() const override { return 0; }
    [[nodiscard]] bool is_open() const override { return open_; }
    [[nodiscard]] const std::string& peer() const override { return peer_; }

    // The client's message, as the transport would deliver it.
    void receive(std::string payload) {
        if (open_ && handlers_.on_message) {
            handlers_.on_message(transport::MessageKind::kText, std::move(payload));
        }
    }
    // The client goes away without a close frame.
    void drop() {
        if (!open_)
            return;
        open_ = false;
        if (handlers_.on_error)
            handlers_.on_error(std::make_error_code(std::errc::connection_reset));
    }

private:
    void sent(std::string payload) {
        if (!open_)
            return;
        if (!protocol::decode_server_message(payload))
            __builtin_trap();  // we sent garbage
    }

    transport::EventLoop& loop_;
    transport::WsHandlers handlers_;
    bool open_ = true;
    std::string peer_ = "fuzz";
};

struct Server {
    Server() : store(std::chrono::minutes(1)), pool(1) {
        log::set_level(log::Level::kOff);
        options.speech = false;
        options.max_connection = std::chrono::seconds(0);
        options.max_session_memory_bytes = std::size_t{1} << 20;
        loop.start();
    }
    server::ServerOptions options;
    transport::EventLoop loop;
    server::BuiltinBrain brain;
    server::SessionStore store;
    server::WorkPool pool;
};

Server& the_server() {
    static auto* server = new Server();  // lives for the whole run, as a real server does
    return *server;
}

std::vector<std::string> lines_of(std::string_view input) {
    std::vector<std::string> lines;
    while (!input.empty() && lines.size() < 64) {
        const auto end = input.find('\n');
        lines.emplace_back(input.substr(0, end));
        if (end == std::string_view::npos)
            break;
        input.remove_prefix(end + 1);
    }
    return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto& server = the_server();
    const auto messages = lines_of(std::string_view(reinterpret_cast<const char*>(data), size));
    std::promise<void> finished;
    server.loop.post([&] {
        server::SessionEngines engines{server.loop, server.pool,  server.brain,  nullptr,
                                       nullptr,     server.store, server.options};
        auto connection = std::make_unique<MemoryConnection>(server.loop);
        auto* memory = connection.get();
        auto session =
            std::make_shared<server::ServerSession>(1, engines, std::move(connection), "v1beta");
        // The session keeps itself alive through this callback until it has finished.
        session->start([session, &finished]() mutable {
            finished.set_value();
            session.reset();
        });
        for (const auto& message : messages) memory->receive(message);
        memory->drop();
    });
    finished.get_future().wait();
    // Let replies in flight for this session run out against its weak references.
    std::promise<void> idle;
    server.loop.post([&] { idle.set_value(); });
    idle.get_future().wait();
    return 0;
}

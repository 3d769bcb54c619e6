// SPDX-License-Identifier: Apache-2.0
#include "server/live_server.hpp"

#include <atomic>
#include <future>
#include <thread>
#include <unordered_map>

#include "base/log.hpp"
#include "server/builtin_brain.hpp"
#include "server/openai_brain.hpp"
#include "server/server_session.hpp"
#include "transport/event_loop.hpp"
#include "transport/live_path.hpp"
#include "transport/ws_server.hpp"

namespace parley::server {

struct LiveServer::Impl {
    explicit Impl(ServerOptions opts)
        : options(std::move(opts)),
          store(options.resumption_ttl),
          pool(options.work_threads, options.work_nice) {}

    // Declared so that the pool's workers are joined before the engines they use go away.
    ServerOptions options;
    transport::EventLoop loop;
    std::unique_ptr<Brain> brain;
    std::optional<Synthesizer> synthesizer;
    std::optional<RecognizerPool> recognizer;
    SessionStore store;  // io only
    WorkPool pool;
    std::unique_ptr<transport::WsServer> listener;
    std::unordered_map<std::uint64_t, std::shared_ptr<ServerSession>> sessions;  // io only
    std::uint64_t next_id = 0;                                                   // io only
    std::atomic<std::size_t> session_count{0};

    transport::UpgradeDecision on_upgrade(const transport::UpgradeRequest& request) {
        const auto path = transport::parse_live_path(request.target);
        if (!path) {
            log::info("refused {} from {}: not a Live API path", log::redact(request.path),
                      request.remote);
            return transport::UpgradeDecision::reject(
                404, "Not found: parley serve speaks the Live API at "
                     "/ws/google.ai.generativelanguage.v1beta.GenerativeService."
                     "BidiGenerateContent\n");
        }
        // Offline: any non-empty credential is accepted, and none is ever logged.
        const bool has_key = !path->key.empty() || !path->access_token.empty() ||
                             request.header("x-goog-api-key") || request.header("authorization");
        if (!has_key) {
            log::info("refused a connection from {}: no API key", request.remote);
            return transport::UpgradeDecision::reject(
                401, "Method doesn't allow unregistered callers: pass any API key "
                     "(?key=, x-goog-api-key or Authorization)\n");
        }
        const auto version = path->api_version;
        return transport::UpgradeDecision::accept(
            [this, version](std::unique_ptr<transport::WsConnection> connection) {
                const auto id = ++next_id;
                SessionEngines engines{loop,
                                       pool,
                                       *brain,
                                       synthesizer ? &*synthesizer : nullptr,
                                       recognizer ? &*recognizer : nullptr,
                                       store,
                                       options};
                auto session = std::make_shared<ServerSession>(id, engines, std::move(connection),
                                                               version);
                sessions.emplace(id, session);
                session_count = sessions.size();
                session->start([this, id] {
                    sessions.erase(id);
                    session_count = sessions.size();
                });
            });
    }
};

Result<std::unique_ptr<LiveServer>> LiveServer::start(ServerOptions options) {
    auto impl = std::make_unique<Impl>(std::move(options));
    auto& opts = impl->options;
    if (opts.brain == BrainKind::kOpenAi) {
        impl->brain = std::make_unique<OpenAiBrain>(
            OpenAiBrainOptions{.url = opts.brain_url, .model = opts.brain_model,
                               .api_key = opts.brain_api_key});
    } else {
        impl->brain = std::make_unique<BuiltinBrain>();
    }
    if (opts.speech) {
        auto synthesizer = Synthesizer::create();
        if (!synthesizer) return fail(synthesizer.error());
        impl->synthesizer.emplace(std::move(*synthesizer));
        RecognizerConfig recognizer_config;
        recognizer_config.decoders = opts.recognizer_decoders;
        auto recognizer = RecognizerPool::create(recognizer_config);
        if (!recognizer) return fail(recognizer.error());
        impl->recognizer.emplace(std::move(*recognizer));
        if (auto warmed = impl->recognizer->warm_up(); !warmed) return fail(warmed.error());
    }
    transport::WsServerOptions listen_options;
    listen_options.host = opts.host;
    listen_options.port = opts.port;
    listen_options.max_message_bytes = opts.max_message_bytes;
    auto* raw = impl.get();
    auto listener = transport::WsServer::listen(
        impl->loop, listen_options,
        [raw](const transport::UpgradeRequest& request) { return raw->on_upgrade(request); });
    if (!listener) return fail(listener.error());
    impl->listener = std::move(*listener);
    impl->loop.start();
    return std::unique_ptr<LiveServer>(new LiveServer(std::move(impl)));
}

LiveServer::LiveServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LiveServer::~LiveServer() {
    std::promise<void> closed;
    impl_->loop.post([impl = impl_.get(), &closed] {
        impl->listener->stop();
        for (auto& [id, session] : impl->sessions) session->close(1001, "server shutting down");
        closed.set_value();
    });
    closed.get_future().wait();
    // Let the close handshakes finish, within reason, before the loop stops.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (impl_->session_count.load() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    impl_->loop.stop();
    impl_->sessions.clear();
}

std::uint16_t LiveServer::port() const { return impl_->listener->port(); }

std::string LiveServer::url() const {
    return "ws://" + impl_->options.host + ":" + std::to_string(port());
}

std::size_t LiveServer::session_count() const { return impl_->session_count.load(); }

}  // namespace parley::server

// SPDX-License-Identifier: Apache-2.0
#include "server/live_server.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <future>
#include <initializer_list>
#include <string_view>
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
namespace {

constexpr const char* kInvalidToken =
    "invalid token: pass the token given to parley serve --token as the API key";
constexpr const char* kTooManySessions = "too many sessions; try again later";
// Connections refused after their upgrade and still closing; more are refused before it.
constexpr std::size_t kMaxRefusedAtOnce = 64;

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// "Bearer T" or "Token T" (ephemeral tokens) -> "T"; anything else -> "".
std::string bearer_of(std::string_view authorization) {
    for (std::string_view scheme : {"bearer ", "token "}) {
        if (authorization.size() > scheme.size() &&
            lower(authorization.substr(0, scheme.size())) == scheme) {
            auto value = authorization.substr(scheme.size());
            while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
            return std::string(value);
        }
    }
    return {};
}

// Compares in time independent of where the texts differ.
bool same_secret(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    }
    return diff == 0;
}

bool token_matches(const std::string& token, std::initializer_list<std::string> candidates) {
    bool any = false;
    for (const auto& candidate : candidates) any |= same_secret(token, candidate);
    return any;
}

}  // namespace

bool is_loopback_host(std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    const auto name = lower(host);
    if (name == "localhost" || name == "::1" || name.ends_with(".localhost"))
        return true;
    // 127.0.0.0/8, written as four decimal numbers.
    if (!name.starts_with("127."))
        return false;
    int parts = 0;
    std::size_t at = 0;
    while (at <= name.size()) {
        const auto end = std::min(name.find('.', at), name.size());
        const auto part = std::string_view(name).substr(at, end - at);
        if (part.empty() || part.size() > 3 ||
            part.find_first_not_of("0123456789") != std::string_view::npos ||
            std::stoi(std::string(part)) > 255) {
            return false;
        }
        ++parts;
        at = end + 1;
    }
    return parts == 4;
}

bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed) {
    auto normalized = lower(origin);
    while (normalized.ends_with('/')) normalized.pop_back();
    for (const auto& entry : allowed) {
        auto allowed_origin = lower(entry);
        while (allowed_origin.ends_with('/')) allowed_origin.pop_back();
        if (allowed_origin == "*" || allowed_origin == normalized)
            return true;
    }
    // http(s)://HOST[:PORT] with a loopback HOST.
    std::string_view rest = normalized;
    if (rest.starts_with("http://")) {
        rest.remove_prefix(7);
    } else if (rest.starts_with("https://")) {
        rest.remove_prefix(8);
    } else {
        return false;  // "null" (file://, sandboxed frames) and other schemes
    }
    if (rest.find_first_of("/?#@") != std::string_view::npos)
        return false;
    std::string_view host = rest;
    if (rest.starts_with('[')) {
        const auto close = rest.find(']');
        if (close == std::string_view::npos)
            return false;
        host = rest.substr(0, close + 1);
        rest.remove_prefix(close + 1);
    } else {
        const auto colon = rest.find(':');
        host = rest.substr(0, colon);
        rest.remove_prefix(colon == std::string_view::npos ? rest.size() : colon);
    }
    if (!rest.empty()) {
        if (rest.front() != ':' || rest.size() == 1 ||
            rest.substr(1).find_first_not_of("0123456789") != std::string_view::npos) {
            return false;
        }
    }
    return is_loopback_host(host);
}

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

    std::unordered_map<std::uint64_t, std::unique_ptr<transport::WsConnection>>
        refused;                     // io only: upgraded, told why they are refused, closing
    std::uint64_t next_refused = 0;  // io only

    transport::UpgradeDecision on_upgrade(const transport::UpgradeRequest& request) {
        // A web page the user visits must not reach the server through the browser.
        if (const auto origin = request.header("origin");
            origin && !origin_allowed(*origin, options.allowed_origins)) {
            log::info("refused a connection from {}: Origin {} is not allowed", request.remote,
                      log::redact(*origin));
            return transport::UpgradeDecision::reject(
                403,
                "Forbidden: this Origin may not connect; start parley serve with "
                "--allow-origin ORIGIN to allow it\n");
        }
        const auto path = transport::parse_live_path(request.target);
        if (!path) {
            log::info("refused {} from {}: not a Live API path", log::redact(request.path),
                      request.remote);
            return transport::UpgradeDecision::reject(
                404,
                "Not found: parley serve speaks the Live API at "
                "/ws/google.ai.generativelanguage.v1beta.GenerativeService."
                "BidiGenerateContent\n");
        }
        const auto api_key = request.header("x-goog-api-key");
        const auto authorization = request.header("authorization");
        const bool has_key =
            !path->key.empty() || !path->access_token.empty() || api_key || authorization;
        if (!has_key) {
            log::info("refused a connection from {}: no API key", request.remote);
            return transport::UpgradeDecision::reject(
                401, options.token.empty()
                         ? "Method doesn't allow unregistered callers: pass any API key "
                           "(?key=, x-goog-api-key or Authorization)\n"
                         : "Method doesn't allow unregistered callers: pass the token given to "
                           "parley serve --token as the API key\n");
        }
        // Offline: without --token any non-empty credential is accepted. None is ever logged.
        if (!options.token.empty() &&
            !token_matches(options.token, {path->key, path->access_token, api_key.value_or(""),
                                           bearer_of(authorization.value_or(""))})) {
            log::info("refused a connection from {}: invalid token", request.remote);
            // Told after the upgrade, as the real service tells a bad key: the SDKs show a
            // close reason to their users, but not an HTTP status.
            return refuse_after_upgrade(transport::kClosePolicy, kInvalidToken, 401);
        }
        const auto version = path->api_version;
        return transport::UpgradeDecision::accept(
            [this, version](std::unique_ptr<transport::WsConnection> connection) {
                if (options.max_connections > 0 && sessions.size() >= options.max_connections) {
                    log::warn("refused a connection from {}: {} sessions open (--max-connections)",
                              connection->peer(), sessions.size());
                    hold_until_closed(std::move(connection), transport::kCloseInternalError,
                                      kTooManySessions);
                    return;
                }
                const auto id = ++next_id;
                SessionEngines engines{loop,
                                       pool,
                                       *brain,
                                       synthesizer ? &*synthesizer : nullptr,
                                       recognizer ? &*recognizer : nullptr,
                                       store,
                                       options};
                auto session =
                    std::make_shared<ServerSession>(id, engines, std::move(connection), version);
                sessions.emplace(id, session);
                session_count = sessions.size();
                session->start([this, id] {
                    sessions.erase(id);
                    session_count = sessions.size();
                });
            });
    }

    // Accepts the upgrade only to close at once with `code` and `reason`; past a bound of
    // connections being refused this way, refuses with the HTTP `status` instead.
    transport::UpgradeDecision refuse_after_upgrade(std::uint16_t code, const char* reason,
                                                    int status) {
        if (refused.size() >= kMaxRefusedAtOnce) {
            return transport::UpgradeDecision::reject(status, std::string(reason) + "\n");
        }
        return transport::UpgradeDecision::accept(
            [this, code, reason](std::unique_ptr<transport::WsConnection> connection) {
                hold_until_closed(std::move(connection), code, reason);
            });
    }

    // Closes `connection` with `code` and `reason` and keeps it until the close handshake ends
    // (or fails: the transport's handshake timeout bounds it). io only.
    void hold_until_closed(std::unique_ptr<transport::WsConnection> connection, std::uint16_t code,
                           const char* reason) {
        const auto id = ++next_refused;
        auto* raw = connection.get();
        refused.emplace(id, std::move(connection));
        // Deferred: a connection is not destroyed inside its own handler.
        auto forget = [this, id] { loop.post([this, id] { refused.erase(id); }); };
        transport::WsHandlers handlers;
        handlers.on_close = [forget](const transport::CloseInfo&) { forget(); };
        handlers.on_error = [forget](std::error_code) { forget(); };
        raw->start(std::move(handlers));
        raw->close(code, reason);
    }
};

Result<std::unique_ptr<LiveServer>> LiveServer::start(ServerOptions options) {
    auto impl = std::make_unique<Impl>(std::move(options));
    auto& opts = impl->options;
    if (opts.brain == BrainKind::kOpenAi) {
        impl->brain = std::make_unique<OpenAiBrain>(OpenAiBrainOptions{
            .url = opts.brain_url, .model = opts.brain_model, .api_key = opts.brain_api_key});
    } else {
        impl->brain = std::make_unique<BuiltinBrain>();
    }
    if (opts.speech) {
        auto synthesizer = Synthesizer::create();
        if (!synthesizer)
            return fail(synthesizer.error());
        impl->synthesizer.emplace(std::move(*synthesizer));
        RecognizerConfig recognizer_config;
        recognizer_config.calibration = impl->synthesizer->calibration_speech_16k();
        recognizer_config.decoders = opts.recognizer_decoders;
        recognizer_config.preload_decoders =
            std::min(opts.recognizer_decoders, ServerOptions::recognizer_preload_decoders);
        auto recognizer = RecognizerPool::create(
            recognizer_config,
            [pool = &impl->pool](std::function<void()> load) { pool->post(std::move(load)); });
        if (!recognizer)
            return fail(recognizer.error());
        impl->recognizer.emplace(std::move(*recognizer));
        if (auto warmed = impl->recognizer->warm_up(); !warmed)
            return fail(warmed.error());
    }
    transport::WsServerOptions listen_options;
    listen_options.host = opts.host;
    listen_options.port = opts.port;
    listen_options.max_message_bytes = opts.max_message_bytes;
    auto* raw = impl.get();
    auto listener = transport::WsServer::listen(
        impl->loop, listen_options,
        [raw](const transport::UpgradeRequest& request) { return raw->on_upgrade(request); });
    if (!listener)
        return fail(listener.error());
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
        impl->refused.clear();
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
    impl_->refused.clear();
}

void LiveServer::go_away_all(std::chrono::milliseconds time_left) {
    impl_->loop.post([impl = impl_.get(), time_left] {
        for (auto& [id, session] : impl->sessions) session->go_away(time_left);
    });
}

std::uint16_t LiveServer::port() const {
    return impl_->listener->port();
}

std::string LiveServer::url() const {
    return "ws://" + impl_->options.host + ":" + std::to_string(port());
}

std::size_t LiveServer::session_count() const {
    return impl_->session_count.load();
}

}  // namespace parley::server

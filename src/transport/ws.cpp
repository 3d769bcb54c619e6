// SPDX-License-Identifier: Apache-2.0
// The WebSocket client (connect_ws) and server (WsServer) on Beast, over TCP or TLS. The only
// translation unit that instantiates Beast's websocket stream for real networks (compile time).
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp forgets it

#include <exception>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "base/log.hpp"
#include "transport/connect_steps.ipp"
#include "transport/draining_tcp_stream.ipp"
#include "transport/ws_client.hpp"
#include "transport/ws_server.hpp"
#include "transport/ws_session.ipp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

namespace parley::transport {

std::string truncate_utf8(std::string reason, std::size_t max_bytes) {
    if (reason.size() <= max_bytes)
        return reason;
    std::size_t cut = max_bytes;
    // Back up over continuation bytes (10xxxxxx) so that no sequence is split.
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason.resize(cut);
    return reason;
}

namespace {

using PlainWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

// Exceptions never leave a coroutine (only bad_alloc could); they are logged here.
void log_exception(std::exception_ptr e) {
    if (!e)
        return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        log::error("transport: coroutine failed: {}", ex.what());
    } catch (...) {
        log::error("transport: coroutine failed");
    }
}

std::string host_header(const Url& url) {
    bool default_port = (url.port == 80 && !url.tls()) || (url.port == 443 && url.tls());
    std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    return default_port ? host : host + ":" + std::to_string(url.port);
}

// --- client -------------------------------------------------------------------------------

template <class Ws>
net::awaitable<Result<std::unique_ptr<WsConnection>>> upgrade_client(
    EventLoop& loop, Ws& ws, const Url& url, const Headers& headers,
    const WsClientOptions& options) {
    beast::get_lowest_layer(ws).expires_never();
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = options.handshake_timeout;
    timeout.idle_timeout = websocket::stream_base::none();
    timeout.keep_alive_pings = false;
    ws.set_option(timeout);
    ws.set_option(
        websocket::stream_base::decorator([&headers, &options](websocket::request_type& req) {
            req.set(http::field::user_agent, options.user_agent);
            for (const auto& [name, value] : headers) req.set(name, value);
        }));
    ws.read_message_max(options.max_message_bytes);

    websocket::response_type response;
    boost::system::error_code ec;
    co_await ws.async_handshake(response, host_header(url), url.target,
                                net::redirect_error(net::use_awaitable, ec));
    if (ec) {
        if (ec == websocket::error::upgrade_declined && response.result_int() != 0 &&
            response.result_int() != 101) {
            std::string body = log::redact(response.body().substr(0, 200));
            for (char& c : body) {
                if (c == '\n' || c == '\r')
                    c = ' ';
            }
            co_return fail(make_error(
                Error::kHandshakeRejected,
                "WebSocket upgrade to '" + url.host + "' rejected with HTTP " +
                    std::to_string(response.result_int()) + " " + std::string(response.reason()) +
                    (body.empty() ? "" : ": " + body) + " (check the path, model and key)",
                static_cast<int>(response.result_int())));
        }
        co_return fail(detail::map_error(Error::kHandshakeFailed, ec,
                                         "WebSocket handshake with '" + url.host + "'"));
    }
    auto session = std::make_shared<detail::WsSession<typename Ws::next_layer_type>>(
        std::move(ws), options.max_message_bytes, url.authority());
    co_return std::unique_ptr<WsConnection>(
        std::make_unique<detail::WsConnectionHandle>(loop, session));
}

net::awaitable<Result<std::unique_ptr<WsConnection>>> connect_client(EventLoop& loop, Url url,
                                                                     Headers headers,
                                                                     WsClientOptions options) {
    auto executor = co_await net::this_coro::executor;
    beast::tcp_stream stream(executor);
    if (auto ec = co_await detail::connect_tcp(stream, url, options.resolve_override,
                                               options.connect_timeout)) {
        co_return fail(ec);
    }
    if (!url.tls()) {
        PlainWs ws(std::move(stream));
        co_return co_await upgrade_client(loop, ws, url, headers, options);
    }
    auto ctx = detail::make_client_tls_context(options.ca_file);
    if (!ctx)
        co_return fail(ctx.error());
    // The context must outlive the stream: the SSL object only holds a reference count on the
    // SSL_CTX, so the shared_ptr may go when this frame ends.
    TlsWs ws(std::move(stream), **ctx);
    if (auto ec =
            co_await detail::handshake_tls(ws.next_layer(), url.host, options.handshake_timeout)) {
        co_return fail(ec);
    }
    co_return co_await upgrade_client(loop, ws, url, headers, options);
}

}  // namespace

void connect_ws(EventLoop& loop, const std::string& url_text, Headers headers,
                WsClientOptions options, WsConnectCallback done) {
    auto url = parse_url(url_text);
    auto strand = net::make_strand(detail::io_context_of(loop));
    if (!url || (url->scheme != "ws" && url->scheme != "wss")) {
        std::error_code ec =
            url ? make_error(Error::kInvalidUrl, "invalid WebSocket URL: expected ws:// or wss://")
                : url.error();
        net::post(strand, [done = std::move(done), ec] { done(fail(ec)); });
        return;
    }
    auto shared_done = std::make_shared<WsConnectCallback>(std::move(done));
    net::co_spawn(
        strand,
        [&loop, url = *url, headers = std::move(headers), options = std::move(options),
         shared_done]() -> net::awaitable<void> {
            auto result = co_await connect_client(loop, url, headers, options);
            (*shared_done)(std::move(result));
        },
        [shared_done](std::exception_ptr e) {
            if (!e)
                return;
            log_exception(e);
            (*shared_done)(
                fail(make_error(Error::kConnectFailed, "WebSocket connect failed unexpectedly")));
        });
}

// --- server -------------------------------------------------------------------------------

struct WsServer::Impl : std::enable_shared_from_this<WsServer::Impl> {
    Impl(EventLoop& loop_in, WsServerOptions options_in, UpgradeHandler handler)
        : loop(loop_in),
          options(std::move(options_in)),
          on_upgrade(std::move(handler)),
          acceptor(net::make_strand(detail::io_context_of(loop_in))) {}

    EventLoop& loop;
    WsServerOptions options;
    UpgradeHandler on_upgrade;  // io only; reset by stop()
    std::shared_ptr<net::ssl::context> tls;
    tcp::acceptor acceptor;
    std::uint16_t port = 0;
    bool stopped = false;  // io only

    void accept_next() {
        acceptor.async_accept(
            net::make_strand(detail::io_context_of(loop)),
            [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
                if (self->stopped)
                    return;
                if (ec) {
                    if (ec == net::error::operation_aborted)
                        return;
                    log::warn("transport: accept failed: {}", ec.message());
                } else {
                    self->serve(std::move(socket));
                }
                self->accept_next();
            });
    }

    void serve(tcp::socket socket) {
        auto executor = socket.get_executor();
        net::co_spawn(executor, serve_connection(shared_from_this(), std::move(socket)),
                      log_exception);
    }

    static std::string remote_of(const tcp::socket& socket) {
        boost::system::error_code ec;
        auto endpoint = socket.remote_endpoint(ec);
        if (ec)
            return "?";
        std::string address = endpoint.address().to_string();
        if (endpoint.address().is_v6())
            address = "[" + address + "]";
        return address + ":" + std::to_string(endpoint.port());
    }

    static net::awaitable<void> serve_connection(std::shared_ptr<Impl> self, tcp::socket socket) {
        std::string remote = remote_of(socket);
        if (!self->tls) {
            co_await serve_upgrade(self, detail::DrainingTcpStream(std::move(socket)), remote);
            co_return;
        }
        beast::ssl_stream<beast::tcp_stream> tls_stream(beast::tcp_stream(std::move(socket)),
                                                        *self->tls);
        boost::system::error_code ec;
        beast::get_lowest_layer(tls_stream).expires_after(self->options.handshake_timeout);
        co_await tls_stream.async_handshake(net::ssl::stream_base::server,
                                            net::redirect_error(net::use_awaitable, ec));
        if (ec) {
            log::debug("transport: TLS handshake with {} failed: {}", remote, ec.message());
            co_return;
        }
        co_await serve_upgrade(self, std::move(tls_stream), remote);
    }

    template <class Stream>
    static net::awaitable<void> refuse(Stream& stream, unsigned version, http::status status,
                                       std::string body, const std::string& server_header) {
        http::response<http::string_body> res{status, version};
        res.set(http::field::server, server_header);
        res.set(http::field::content_type, "text/plain; charset=utf-8");
        res.keep_alive(false);
        res.body() = std::move(body);
        res.prepare_payload();
        boost::system::error_code ec;
        co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
        if constexpr (std::is_base_of_v<beast::tcp_stream, Stream>) {
            stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        } else {
            co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ec));
        }
    }

    template <class Stream>
    static net::awaitable<void> serve_upgrade(std::shared_ptr<Impl> self, Stream stream,
                                              std::string remote) {
        boost::system::error_code ec;
        beast::flat_buffer buffer;
        http::request_parser<http::string_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(64 * 1024);
        beast::get_lowest_layer(stream).expires_after(self->options.handshake_timeout);
        co_await http::async_read(stream, buffer, parser,
                                  net::redirect_error(net::use_awaitable, ec));
        if (ec) {
            log::debug("transport: reading the upgrade request from {} failed: {}", remote,
                       ec.message());
            co_return;
        }
        auto request = parser.release();
        const std::string& server_header = self->options.server_header;
        if (!websocket::is_upgrade(request)) {
            co_await refuse(stream, request.version(), http::status::upgrade_required,
                            "This endpoint only speaks WebSocket.\n", server_header);
            co_return;
        }
        if (self->stopped || !self->on_upgrade) {
            co_await refuse(stream, request.version(), http::status::service_unavailable,
                            "The server is shutting down.\n", server_header);
            co_return;
        }
        UpgradeRequest upgrade;
        upgrade.target = std::string(request.target());
        auto qmark = upgrade.target.find('?');
        upgrade.path = upgrade.target.substr(0, qmark);
        upgrade.query = qmark == std::string::npos ? "" : upgrade.target.substr(qmark + 1);
        for (const auto& field : request) {
            upgrade.headers.emplace_back(std::string(field.name_string()),
                                         std::string(field.value()));
        }
        upgrade.remote = remote;

        UpgradeDecision decision;
        try {
            decision = self->on_upgrade(upgrade);
        } catch (const std::exception& e) {
            log::error("transport: the upgrade handler threw: {}", e.what());
            decision = UpgradeDecision::reject(500, "Internal error.\n");
        }
        if (decision.reject_status != 0 || !decision.on_open) {
            int status = decision.reject_status != 0 ? decision.reject_status : 500;
            co_await refuse(stream, request.version(), static_cast<http::status>(status),
                            std::move(decision.reject_body), server_header);
            co_return;
        }

        websocket::stream<Stream> ws(std::move(stream));
        beast::get_lowest_layer(ws).expires_never();
        websocket::stream_base::timeout timeout{};
        timeout.handshake_timeout = self->options.handshake_timeout;
        timeout.idle_timeout = websocket::stream_base::none();
        timeout.keep_alive_pings = false;
        ws.set_option(timeout);
        ws.set_option(
            websocket::stream_base::decorator([server_header](websocket::response_type& res) {
                res.set(http::field::server, server_header);
            }));
        ws.read_message_max(self->options.max_message_bytes);
        co_await ws.async_accept(request, net::redirect_error(net::use_awaitable, ec));
        if (ec) {
            log::debug("transport: WebSocket accept for {} failed: {}", remote, ec.message());
            co_return;
        }
        auto session = std::make_shared<detail::WsSession<Stream>>(
            std::move(ws), self->options.max_message_bytes, remote);
        decision.on_open(std::make_unique<detail::WsConnectionHandle>(self->loop, session));
    }
};

}  // namespace parley::transport

namespace parley::transport {

WsServer::WsServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

WsServer::~WsServer() {
    stop();
}

Result<std::unique_ptr<WsServer>> WsServer::listen(EventLoop& loop, WsServerOptions options,
                                                   UpgradeHandler on_upgrade) {
    auto impl = std::make_shared<Impl>(loop, std::move(options), std::move(on_upgrade));
    const auto& opts = impl->options;
    if (!opts.cert_file.empty() || !opts.key_file.empty()) {
        auto tls = detail::make_server_tls_context(opts.cert_file, opts.key_file);
        if (!tls)
            return fail(tls.error());
        impl->tls = *tls;
    }
    const std::string what = "listening on " + opts.host + ":" + std::to_string(opts.port);
    boost::system::error_code ec;
    auto address = net::ip::make_address(opts.host, ec);
    if (ec) {
        return fail(
            make_error(Error::kListenFailed,
                       what + ": '" + opts.host + "' is not an IP address (use e.g. 127.0.0.1)"));
    }
    tcp::endpoint endpoint(address, opts.port);
    // The acceptor is not shared yet, so setting it up here, off io, is safe.
    impl->acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec)
        impl->acceptor.bind(endpoint, ec);
    if (!ec)
        impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
        return fail(detail::map_error(Error::kListenFailed, ec, what));
    impl->port = impl->acceptor.local_endpoint(ec).port();
    net::post(impl->acceptor.get_executor(), [impl] {
        if (!impl->stopped)
            impl->accept_next();
    });
    return std::make_unique<WsServer>(std::move(impl));
}

std::uint16_t WsServer::port() const {
    return impl_->port;
}

bool WsServer::tls() const {
    return impl_->tls != nullptr;
}

void WsServer::stop() {
    auto impl = impl_;
    detail::run_on_io_and_wait(
        impl->loop,
        [impl](std::function<void()> fn) {
            net::post(impl->acceptor.get_executor(), std::move(fn));
        },
        [impl] {
            if (impl->stopped)
                return;
            impl->stopped = true;
            impl->on_upgrade = nullptr;
            boost::system::error_code ec;
            impl->acceptor.close(ec);
        });
}

}  // namespace parley::transport

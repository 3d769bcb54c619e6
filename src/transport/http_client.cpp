// SPDX-License-Identifier: Apache-2.0
// HttpClient on Beast: one coroutine per request on a private io_context run by the caller.
#include "transport/http_client.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp forgets it

#include <exception>
#include <limits>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http.hpp>

#include "base/log.hpp"
#include "transport/connect_steps.ipp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace parley::transport {

struct HttpClient::Impl {
    net::io_context ioc{1};
    std::atomic<std::uint64_t> generation{0};  // one per request; a stale cancel is ignored
    std::atomic<bool> busy{false};
    bool cancelled = false;               // io (the caller's thread while it runs ioc)
    std::function<void()> cancel_stream;  // io: cancels the current stream's operations

    template <class Stream>
    net::awaitable<Status> exchange(Stream& stream, const Url& url, const HttpRequest& request,
                                    const HttpStreamHandlers& handlers) {
        boost::system::error_code ec;
        auto& lowest = beast::get_lowest_layer(stream);
        const std::string what = "HTTP " + request.method + " to " + url.authority();

        http::request<http::string_body> req;
        http::verb verb = http::string_to_verb(request.method);
        if (verb == http::verb::unknown) {
            req.method_string(request.method);
        } else {
            req.method(verb);
        }
        req.target(url.target);
        req.version(11);
        bool default_port = (url.port == 80 && !url.tls()) || (url.port == 443 && url.tls());
        std::string host =
            url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
        req.set(http::field::host, default_port ? host : host + ":" + std::to_string(url.port));
        req.set(http::field::user_agent, request.user_agent);
        for (const auto& [name, value] : request.headers) req.set(name, value);
        req.body() = request.body;
        if (!request.body.empty() || verb == http::verb::post || verb == http::verb::put)
            req.prepare_payload();

        lowest.expires_after(request.timeout);
        co_await http::async_write(stream, req, net::redirect_error(net::use_awaitable, ec));
        if (ec)
            co_return fail(detail::map_error(Error::kHttpFailed, ec, what));

        beast::flat_buffer buffer;
        http::response_parser<http::buffer_body> parser;
        // Streaming: the caller decides; request() caps the total. Not boost::none: Boost 1.74's
        // parser compares `len > body_limit_` on the optional, which is true for none.
        parser.body_limit(std::numeric_limits<std::uint64_t>::max());
        lowest.expires_after(request.timeout);
        co_await http::async_read_header(stream, buffer, parser,
                                         net::redirect_error(net::use_awaitable, ec));
        if (ec)
            co_return fail(detail::map_error(Error::kHttpFailed, ec, what));

        Headers headers;
        for (const auto& field : parser.get()) {
            headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        }
        if (handlers.on_head &&
            !handlers.on_head(static_cast<int>(parser.get().result_int()), headers)) {
            co_return Status{};
        }
        std::string chunk(16 * 1024, '\0');
        while (!parser.is_done()) {
            parser.get().body().data = chunk.data();
            parser.get().body().size = chunk.size();
            lowest.expires_after(request.timeout);
            // read_some: returns as soon as some body bytes were parsed (async_read would wait
            // for the whole message or a full buffer).
            co_await http::async_read_some(stream, buffer, parser,
                                           net::redirect_error(net::use_awaitable, ec));
            if (ec == http::error::need_buffer)
                ec = {};
            if (ec)
                co_return fail(detail::map_error(Error::kHttpFailed, ec, what));
            std::size_t bytes = chunk.size() - parser.get().body().size;
            if (bytes > 0 && handlers.on_data &&
                !handlers.on_data(std::string_view(chunk.data(), bytes))) {
                co_return Status{};
            }
        }
        lowest.expires_never();
        co_return Status{};
    }

    net::awaitable<Status> run(Url url, const HttpRequest& request,
                               const HttpStreamHandlers& handlers) {
        auto executor = co_await net::this_coro::executor;
        beast::tcp_stream stream(executor);
        cancel_stream = [&stream] { stream.cancel(); };
        struct Reset {
            std::function<void()>& fn;
            ~Reset() { fn = nullptr; }
        } reset{cancel_stream};
        if (auto ec = co_await detail::connect_tcp(stream, url, request.resolve_override,
                                                   request.timeout)) {
            co_return fail(ec);
        }
        if (!url.tls())
            co_return co_await exchange(stream, url, request, handlers);

        auto ctx = detail::make_client_tls_context(request.ca_file);
        if (!ctx)
            co_return fail(ctx.error());
        beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), **ctx);
        cancel_stream = [&tls] { beast::get_lowest_layer(tls).cancel(); };
        if (auto ec = co_await detail::handshake_tls(tls, url.host, request.timeout))
            co_return fail(ec);
        auto status = co_await exchange(tls, url, request, handlers);
        // No TLS close_notify exchange: we are done with the connection either way, and a peer
        // that never answers it would stall us.
        co_return status;
    }
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {}
HttpClient::~HttpClient() = default;

void HttpClient::cancel() {
    if (!impl_->busy.load())
        return;
    std::uint64_t generation = impl_->generation.load();
    net::post(impl_->ioc, [impl = impl_.get(), generation] {
        if (impl->generation.load() != generation)
            return;
        impl->cancelled = true;
        if (impl->cancel_stream)
            impl->cancel_stream();
    });
}

Status HttpClient::request_stream(const HttpRequest& request, const HttpStreamHandlers& handlers) {
    auto url = parse_url(request.url);
    if (!url)
        return fail(url.error());
    if (url->scheme != "http" && url->scheme != "https") {
        return fail(
            make_error(Error::kInvalidUrl, "invalid HTTP URL: expected http:// or https://"));
    }
    Impl& impl = *impl_;
    impl.generation.fetch_add(1);
    impl.cancelled = false;
    impl.busy = true;
    impl.ioc.restart();
    Status result = fail(make_error(Error::kHttpFailed, "HTTP request did not complete"));
    net::co_spawn(impl.ioc, impl.run(*url, request, handlers),
                  [&result](std::exception_ptr e, Status status) {
                      if (e) {
                          try {
                              std::rethrow_exception(e);
                          } catch (const std::exception& ex) {
                              log::error("transport: HTTP request failed: {}", ex.what());
                          } catch (...) {
                          }
                          return;
                      }
                      result = std::move(status);
                  });
    try {
        impl.ioc.run();
    } catch (const std::exception& e) {
        log::error("transport: HTTP handler threw: {}", e.what());
    }
    impl.busy = false;
    impl.generation.fetch_add(1);
    if (impl.cancelled && (!result || error_kind(result.error()) == Error::kCancelled)) {
        return fail(make_error(Error::kCancelled, "HTTP " + request.method + " to " +
                                                      url->authority() + ": cancelled"));
    }
    return result;
}

Result<HttpResponse> HttpClient::request(const HttpRequest& request) {
    HttpResponse response;
    std::error_code too_big;
    HttpStreamHandlers handlers;
    handlers.on_head = [&response](int status, const Headers& headers) {
        response.status = status;
        response.headers = headers;
        return true;
    };
    handlers.on_data = [&](std::string_view bytes) {
        if (response.body.size() + bytes.size() > request.max_body_bytes) {
            too_big = make_error(Error::kBodyTooLarge, "HTTP response body over " +
                                                           std::to_string(request.max_body_bytes) +
                                                           " bytes (raise the maximum body size?)");
            return false;
        }
        response.body.append(bytes);
        return true;
    };
    auto status = request_stream(request, handlers);
    if (!status)
        return fail(status.error());
    if (too_big)
        return fail(too_big);
    return response;
}

}  // namespace parley::transport

// SPDX-License-Identifier: Apache-2.0
// Private to src/transport/*.cpp (includes Asio/Beast): the client's first steps as coroutines on
// io, shared by the WebSocket and HTTP clients. Order as in Beast's async-ssl client: resolve,
// TCP connect with a timeout, SNI + host verification, TLS handshake with a timeout.
#pragma once

#include <utility>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include "transport/internal.hpp"
#include "transport/url.hpp"

namespace parley::transport::detail {

inline bool host_iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// Resolves (honouring the test override) and connects `stream`. Errors name the host and port.
inline boost::asio::awaitable<std::error_code> connect_tcp(
    boost::beast::tcp_stream& stream, const Url& url,
    const std::optional<ResolveOverride>& override_to, std::chrono::milliseconds timeout) {
    namespace net = boost::asio;
    std::string host = url.host;
    std::uint16_t port = url.port;
    if (override_to && host_iequals(override_to->host, url.host)) {
        host = override_to->address;
        port = override_to->port;
    }
    const std::string what = "connecting to " + url.authority();
    boost::system::error_code ec;
    auto executor = co_await net::this_coro::executor;
    // The resolver has no timeout of its own: a timer cancels it. Both are shared with the timer
    // handler, which may run after this frame is gone.
    auto resolver = std::make_shared<net::ip::tcp::resolver>(executor);
    auto timed_out = std::make_shared<bool>(false);
    net::steady_timer timer(executor);
    timer.expires_after(timeout);
    timer.async_wait([resolver, timed_out](const boost::system::error_code& wait_ec) {
        if (wait_ec)
            return;  // cancelled: the lookup finished first
        *timed_out = true;
        resolver->cancel();
    });
    auto results = co_await resolver->async_resolve(host, std::to_string(port),
                                                    net::redirect_error(net::use_awaitable, ec));
    timer.cancel();
    if (*timed_out)
        ec = boost::beast::error::timeout;
    if (ec)
        co_return map_error(Error::kResolveFailed, ec, "looking up " + url.host);

    stream.expires_after(timeout);
    co_await stream.async_connect(results, net::redirect_error(net::use_awaitable, ec));
    if (ec)
        co_return map_error(Error::kConnectFailed, ec, what);
    stream.expires_never();
    co_return std::error_code{};
}

// SNI, host verification and the TLS handshake on a connected stream.
inline boost::asio::awaitable<std::error_code> handshake_tls(
    boost::beast::ssl_stream<boost::beast::tcp_stream>& stream, const std::string& host,
    std::chrono::milliseconds timeout) {
    namespace net = boost::asio;
    if (auto status = prepare_client_tls(stream.native_handle(), host); !status)
        co_return status.error();
    boost::system::error_code ec;
    boost::beast::get_lowest_layer(stream).expires_after(timeout);
    co_await stream.async_handshake(net::ssl::stream_base::client,
                                    net::redirect_error(net::use_awaitable, ec));
    boost::beast::get_lowest_layer(stream).expires_never();
    if (ec)
        co_return map_tls_error(ec, SSL_get_verify_result(stream.native_handle()), host);
    co_return std::error_code{};
}

}  // namespace parley::transport::detail

// SPDX-License-Identifier: Apache-2.0
// Maps Beast, Asio and OpenSSL error codes into transport::Error, keeping their text as detail.
#include <string>

#include <openssl/x509_vfy.h>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/websocket/error.hpp>

#include "transport/internal.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace http = boost::beast::http;

namespace parley::transport::detail {
namespace {

Error classify(Error fallback, const boost::system::error_code& ec) {
    if (ec == net::error::operation_aborted)
        return Error::kCancelled;
    if (ec == beast::error::timeout || ec == net::error::timed_out)
        return Error::kTimeout;
    if (ec == websocket::error::closed)
        return Error::kClosedByPeer;
    if (ec == websocket::error::message_too_big)
        return Error::kMessageTooBig;
    if (ec == http::error::body_limit)
        return Error::kBodyTooLarge;
    if (ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::broken_pipe || ec == net::error::connection_aborted ||
        ec == net::ssl::error::stream_truncated || ec == http::error::end_of_stream ||
        ec == http::error::partial_message) {
        return Error::kConnectionLost;
    }
    if (ec == net::error::connection_refused || ec == net::error::host_unreachable ||
        ec == net::error::network_unreachable) {
        return Error::kConnectFailed;
    }
    if (ec == net::error::host_not_found || ec == net::error::host_not_found_try_again ||
        ec == net::error::no_data || ec == net::error::no_recovery) {
        return Error::kResolveFailed;
    }
    if (ec == net::error::address_in_use || ec == net::error::access_denied) {
        return fallback == Error::kListenFailed ? Error::kListenFailed : fallback;
    }
    if (ec == websocket::condition::handshake_failed)
        return Error::kHandshakeFailed;
    if (ec == websocket::condition::protocol_violation)
        return Error::kProtocolError;
    if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
        return fallback == Error::kHandshakeFailed ? Error::kHandshakeFailed
                                                   : Error::kProtocolError;
    }
    if (ec.category() == net::error::get_ssl_category())
        return Error::kTlsFailed;
    return fallback;
}

}  // namespace

std::error_code map_error(Error fallback, const boost::system::error_code& ec,
                          std::string_view what) {
    Error kind = classify(fallback, ec);
    std::string message = std::string(what) + ": " + base_message(kind) + " (" + ec.message() + ")";
    return make_error(kind, message);
}

std::error_code map_tls_error(const boost::system::error_code& ec, long verify_result,
                              std::string_view host) {
    std::string h(host);
    if (verify_result == X509_V_ERR_HOSTNAME_MISMATCH ||
        verify_result == X509_V_ERR_IP_ADDRESS_MISMATCH) {
        return make_error(Error::kHostMismatch,
                          "TLS certificate verification failed for host '" + h +
                              "': the certificate is not valid for this name (connect with the "
                              "name the certificate was issued for)");
    }
    if (verify_result != X509_V_OK) {
        return make_error(Error::kNotVerified,
                          "TLS certificate verification failed for host '" + h +
                              "': " + X509_verify_cert_error_string(verify_result) +
                              " (give a CA file with --ca-file?)");
    }
    Error kind = classify(Error::kTlsFailed, ec);
    if (kind == Error::kTimeout || kind == Error::kCancelled || kind == Error::kConnectionLost) {
        return map_error(kind, ec, "TLS handshake with '" + h + "'");
    }
    return make_error(
        Error::kTlsFailed,
        "TLS handshake with '" + h + "' failed (is the port speaking TLS?) (" + ec.message() + ")");
}

}  // namespace parley::transport::detail

// SPDX-License-Identifier: Apache-2.0
// Private to src/transport/*.cpp: access to the io_context behind an EventLoop, and the mapping of
// Boost/OpenSSL error codes into transport::Error. Forward-declares Boost types so this header
// pulls in no Boost header (the layering rule); do not include it outside src/transport.
#pragma once

#include <functional>
#include <string_view>
#include <system_error>

#include <memory>
#include <string>

#include "base/result.hpp"
#include "transport/error.hpp"
#include "transport/event_loop.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio
namespace boost::system {
class error_code;
}  // namespace boost::system
namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl
struct ssl_st;  // OpenSSL's SSL

namespace parley::transport::detail {

boost::asio::io_context& io_context_of(EventLoop& loop);

// The one-line message of a kind, with what to do about it.
const char* base_message(Error e);

// Maps a Beast/Asio/OpenSSL error into a detailed transport error: "<what>: <advice> (<detail>)".
// `fallback` is used when the code has no more specific meaning. `what` names the operation and
// host (never a URL with a key), e.g. "connecting to example.com:443".
std::error_code map_error(Error fallback, const boost::system::error_code& ec,
                          std::string_view what);

// A TLS handshake failure, refined by OpenSSL's verify result (X509_V_*; 0 if none) into
// kNotVerified / kHostMismatch / kTlsFailed.
std::error_code map_tls_error(const boost::system::error_code& ec, long verify_result,
                              std::string_view host);

}  // namespace parley::transport::detail

namespace parley::transport::detail {

// Runs `fn` on the io thread and waits for it: inline when already on io or when the loop is not
// running (then nothing else runs io work). `post` hands a callable to io (e.g. a strand).
// Used by destructors that promise "no handler runs after I return".
void run_on_io_and_wait(EventLoop& loop, const std::function<void(std::function<void()>)>& post,
                        std::function<void()> fn);

}  // namespace parley::transport::detail

namespace parley::transport::detail {

// A TLS client context that verifies peers against `ca_file` (PEM) or, if empty, the system's
// default trust store. Errors: kTlsConfig.
Result<std::shared_ptr<boost::asio::ssl::context>> make_client_tls_context(
    const std::string& ca_file);
// A TLS server context with a PEM certificate chain and private key. Errors: kTlsConfig.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(
    const std::string& cert_file, const std::string& key_file);
// Per connection, before the handshake: SNI (for names, not addresses) and the host-name or
// IP-address check that OpenSSL applies during certificate verification. Errors: kTlsConfig.
Status prepare_client_tls(ssl_st* ssl, const std::string& host);

}  // namespace parley::transport::detail

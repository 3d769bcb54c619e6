// SPDX-License-Identifier: Apache-2.0
// TLS contexts for the transport clients and server: verification is always on for clients.
#include <utility>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <boost/asio/ssl/context.hpp>

#include "transport/internal.hpp"
#include "transport/url.hpp"

namespace ssl = boost::asio::ssl;

namespace parley::transport::detail {

Result<std::shared_ptr<ssl::context>> make_client_tls_context(const std::string& ca_file) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    boost::system::error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                     ec);
    ctx->set_verify_mode(ssl::verify_peer, ec);
    if (ca_file.empty()) {
        ctx->set_default_verify_paths(ec);
        if (ec) {
            return fail(make_error(Error::kTlsConfig,
                                   "could not load the system's trusted CA "
                                   "certificates (give a CA file with --ca-file?) (" +
                                       ec.message() + ")"));
        }
    } else {
        ctx->load_verify_file(ca_file, ec);
        if (ec) {
            return fail(make_error(Error::kTlsConfig, "could not load CA file '" + ca_file +
                                                          "' (is it a PEM file?) (" + ec.message() +
                                                          ")"));
        }
    }
    return ctx;
}

Result<std::shared_ptr<ssl::context>> make_server_tls_context(const std::string& cert_file,
                                                              const std::string& key_file) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    boost::system::error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                     ec);
    ctx->use_certificate_chain_file(cert_file, ec);
    if (ec) {
        return fail(make_error(Error::kTlsConfig, "could not load TLS certificate '" + cert_file +
                                                      "' (is it a PEM file?) (" + ec.message() +
                                                      ")"));
    }
    ctx->use_private_key_file(key_file, ssl::context::pem, ec);
    if (ec) {
        return fail(
            make_error(Error::kTlsConfig, "could not load TLS private key '" + key_file +
                                              "' (is it a PEM key matching the certificate?) (" +
                                              ec.message() + ")"));
    }
    return ctx;
}

Status prepare_client_tls(SSL* ssl, const std::string& host) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (is_ip_literal(host)) {
        // RFC 6066 §3: no SNI for addresses; verify the address against the certificate's IP SANs.
        if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
            return fail(make_error(Error::kTlsConfig,
                                   "could not set up TLS verification for address '" + host + "'"));
        }
    } else {
        if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
            return fail(
                make_error(Error::kTlsConfig, "could not set TLS SNI for host '" + host + "'"));
        }
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) != 1) {
            return fail(
                make_error(Error::kTlsConfig,
                           "could not set up TLS host-name verification for '" + host + "'"));
        }
    }
    SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
    return {};
}

}  // namespace parley::transport::detail

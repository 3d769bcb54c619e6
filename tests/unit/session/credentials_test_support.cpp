// SPDX-License-Identifier: Apache-2.0
#include "credentials_test_support.hpp"

#include <utility>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <spdlog/sinks/base_sink.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "base/log.hpp"
#include "session/jwt.hpp"
#include "support/test_ca.hpp"

namespace parley::session::test {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::string percent_decode(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] == '%' && i + 2 < text.size()) {
            out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

}  // namespace

const CredentialsPki& credentials_pki() {
    static const parley::test::TestCa ca("credentials");
    static const CredentialsPki pki = [] {
        const auto server =
            ca.issue("server",
                     "DNS:localhost,DNS:generativelanguage.googleapis.com,"
                     "DNS:us-central1-aiplatform.googleapis.com,DNS:aiplatform.googleapis.com,"
                     "DNS:oauth2.googleapis.com");
        const auto wrong = ca.issue("wrong", "DNS:wrong.example.com");
        return CredentialsPki{ca.dir(), ca.cert(), server.cert, server.key, wrong.cert, wrong.key};
    }();
    return pki;
}

std::string write_temp_file(const std::string& name, const std::string& text) {
    const std::string path = credentials_pki().dir + "/" + name;
    write_file(path, text);
    return path;
}

RsaKeyPair make_rsa_key() {
    std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_RSA_gen(2048));
    if (!key)
        std::abort();
    std::unique_ptr<BIO, BioFree> priv(BIO_new(BIO_s_mem()));
    std::unique_ptr<BIO, BioFree> pub(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
            1 ||
        PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) {
        std::abort();
    }
    return {bio_text(priv.get()), bio_text(pub.get())};
}

bool verify_rs256(const std::string& jwt, const std::string& public_pem) {
    const auto last_dot = jwt.rfind('.');
    if (last_dot == std::string::npos)
        return false;
    const auto signature = base64url_decode(std::string_view(jwt).substr(last_dot + 1));
    if (!signature)
        return false;
    std::unique_ptr<BIO, BioFree> bio(
        BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size())));
    std::unique_ptr<EVP_PKEY, PkeyFree> key(
        PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (!key || !ctx ||
        EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
        return false;
    }
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature->data()),
                            signature->size(), reinterpret_cast<const unsigned char*>(jwt.data()),
                            last_dot) == 1;
}

std::vector<std::pair<std::string, std::string>> parse_form(const std::string& body) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t start = 0;
    while (start <= body.size()) {
        const auto end = std::min(body.find('&', start), body.size());
        const auto part = body.substr(start, end - start);
        const auto eq = part.find('=');
        if (!part.empty()) {
            out.emplace_back(percent_decode(part.substr(0, eq)),
                             eq == std::string::npos ? "" : percent_decode(part.substr(eq + 1)));
        }
        start = end + 1;
    }
    return out;
}

std::optional<std::string> form_value(const std::string& body, const std::string& name) {
    for (auto& [k, v] : parse_form(body)) {
        if (k == name)
            return v;
    }
    return std::nullopt;
}

struct LocalTokenEndpoint::Impl {
    Impl(Handler h, bool wrong_host)
        : handler(std::move(h)),
          tls(net::ssl::context::tls_server),
          acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
        const auto& pki = credentials_pki();
        tls.use_certificate_chain_file(wrong_host ? pki.wrong_host_cert : pki.server_cert);
        tls.use_private_key_file(wrong_host ? pki.wrong_host_key : pki.server_key,
                                 net::ssl::context::pem);
    }

    void serve() {
        while (!stopping) {
            tcp::socket socket(ioc);
            beast::error_code ec;
            acceptor.accept(socket, ec);
            if (ec || stopping)
                return;
            beast::ssl_stream<tcp::socket> stream(std::move(socket), tls);
            stream.next_layer().set_option(net::socket_base::linger(true, 0), ec);
            stream.handshake(net::ssl::stream_base::server, ec);
            if (ec)
                continue;
            RecordedRequest recorded;
            if (const char* name =
                    SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
                recorded.sni = name;
            }
            beast::flat_buffer buffer;
            http::request<http::string_body> req;
            http::read(stream, buffer, req, ec);
            if (ec)
                continue;
            recorded.method = std::string(req.method_string());
            recorded.target = std::string(req.target());
            recorded.host = std::string(req[http::field::host]);
            recorded.content_type = std::string(req[http::field::content_type]);
            recorded.body = req.body();
            {
                std::lock_guard lock(mutex);
                recorded_requests.push_back(recorded);
            }
            const CannedResponse canned = handler(recorded);
            http::response<http::string_body> res{static_cast<http::status>(canned.status), 11};
            res.set(http::field::content_type, "application/json; charset=utf-8");
            res.body() = canned.body;
            res.keep_alive(false);
            res.prepare_payload();
            http::write(stream, res, ec);
            stream.shutdown(ec);
        }
    }

    Handler handler;
    net::io_context ioc;
    net::ssl::context tls;
    tcp::acceptor acceptor;
    std::atomic<bool> stopping{false};
    mutable std::mutex mutex;
    std::vector<RecordedRequest> recorded_requests;
    std::thread thread;
};

LocalTokenEndpoint::LocalTokenEndpoint(Handler handler, bool wrong_host_cert)
    : impl_(std::make_unique<Impl>(std::move(handler), wrong_host_cert)) {
    port_ = impl_->acceptor.local_endpoint().port();
    impl_->thread = std::thread([impl = impl_.get()] { impl->serve(); });
}

LocalTokenEndpoint::~LocalTokenEndpoint() {
    impl_->stopping = true;
    // Wake the blocking accept with a connection of our own.
    net::io_context ioc;
    tcp::socket socket(ioc);
    beast::error_code ec;
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ec);
    impl_->thread.join();
}

std::vector<RecordedRequest> LocalTokenEndpoint::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->recorded_requests;
}

class LogCapture::Sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::string text() {
        std::lock_guard lock(mutex_);
        return text_;
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        text_.append(msg.payload.data(), msg.payload.size());
        text_ += '\n';
    }
    void flush_() override {}

private:
    std::string text_;
};

LogCapture::LogCapture() : sink_(std::make_shared<Sink>()) {
    log::set_level(log::Level::kDebug);  // makes Parley's logger the default one
    sink_->set_level(spdlog::level::debug);
    spdlog::default_logger()->sinks().push_back(sink_);
}

LogCapture::~LogCapture() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    log::set_level(log::Level::kInfo);
}

std::string LogCapture::text() const {
    return sink_->text();
}

}  // namespace parley::session::test

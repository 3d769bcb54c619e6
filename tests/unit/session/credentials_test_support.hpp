// SPDX-License-Identifier: Apache-2.0
// Test helpers for the credential and real-URL tests: a throwaway PKI whose server certificate
// names Google's real hosts, RSA keys and JWT checks with OpenSSL, a local HTTPS token endpoint
// that records each request (with the SNI it saw), and a capture of every log line. Test thread
// plus one server thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace parley::session::test {

// A CA; a server certificate it signed for localhost and Google's Live, Vertex and OAuth hosts;
// and a second certificate signed by the same CA that names only wrong.example.com.
struct CredentialsPki {
    std::string dir;
    std::string ca_cert;
    std::string server_cert;
    std::string server_key;
    std::string wrong_host_cert;
    std::string wrong_host_key;
};
// Made once per process in a temp dir (removed at exit); aborts if openssl fails.
const CredentialsPki& credentials_pki();

// A fresh 2048-bit RSA key: the PKCS#8 private key and the SubjectPublicKeyInfo, both PEM.
struct RsaKeyPair {
    std::string private_pem;
    std::string public_pem;
};
RsaKeyPair make_rsa_key();

// True when `jwt` is "h.c.s" with a valid RS256 signature by `public_pem`.
bool verify_rs256(const std::string& jwt, const std::string& public_pem);

// Writes `text` to a new file in the PKI dir; returns its path.
std::string write_temp_file(const std::string& name, const std::string& text);

// What the token endpoint saw.
struct RecordedRequest {
    std::string sni;  // the TLS server name the client sent ("" if none)
    std::string method;
    std::string target;
    std::string host;          // Host header
    std::string content_type;  // Content-Type header
    std::string body;
};

struct CannedResponse {
    int status = 200;
    std::string body;
};

// An HTTPS server on 127.0.0.1 answering each request with `handler`'s response.
class LocalTokenEndpoint {
public:
    using Handler = std::function<CannedResponse(const RecordedRequest&)>;
    explicit LocalTokenEndpoint(Handler handler, bool wrong_host_cert = false);
    ~LocalTokenEndpoint();
    LocalTokenEndpoint(const LocalTokenEndpoint&) = delete;
    LocalTokenEndpoint& operator=(const LocalTokenEndpoint&) = delete;

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::vector<RecordedRequest> requests() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
    std::uint16_t port_ = 0;
};

// Captures every log line (debug and up) while alive.
class LogCapture {
public:
    LogCapture();
    ~LogCapture();
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;
    [[nodiscard]] std::string text() const;

    class Sink;

private:
    std::shared_ptr<Sink> sink_;
};

// Splits a form-encoded body into decoded name/value pairs.
std::vector<std::pair<std::string, std::string>> parse_form(const std::string& body);
std::optional<std::string> form_value(const std::string& body, const std::string& name);

}  // namespace parley::session::test

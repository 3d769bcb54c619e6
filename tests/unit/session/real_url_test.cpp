// SPDX-License-Identifier: Apache-2.0
// A real LiveSession connect to Google's host names (wss://generativelanguage.googleapis.com,
// wss://us-central1-aiplatform.googleapis.com, wss://aiplatform.googleapis.com) resolved to a
// local TLS WebSocket server whose certificate a test CA issued for those names: the upgrade
// request (path, query, headers, SNI) is checked against LIVE_PROTOCOL.md §1, a certificate for
// another name is refused, and no key, token or refresh token reaches a log line, an error
// message or a display URL on any credential path.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "credentials_test_support.hpp"
#include "session/adc_token_provider.hpp"
#include "session/credentials_error.hpp"
#include "session/endpoint.hpp"
#include "session/live_session.hpp"
#include "session_test_support.hpp"
#include "transport/event_loop.hpp"
#include "transport/ws_server.hpp"

namespace parley::session {
namespace {

using test::Event;

constexpr const char* kGeminiHost = "generativelanguage.googleapis.com";
constexpr const char* kVertexHost = "us-central1-aiplatform.googleapis.com";
constexpr const char* kGlobalVertexHost = "aiplatform.googleapis.com";
constexpr const char* kTokenHost = "oauth2.googleapis.com";
constexpr const char* kGeminiPath =
    "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent";
constexpr const char* kConstrainedPath =
    "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained";
constexpr const char* kVertexPath =
    "/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent";

// Secrets shaped like real ones, and one shaped like nothing (the log masking cannot guess it).
const std::string kApiKey = "AIzaSyREALURLTESTKEY0123456789abcdefgh";
const std::string kPlainKey = "plain-secret-key-7f3a9c";
const std::string kEphemeral = "auth_tokens/ephemeral-secret-4b1d";
const std::string kClientSecret = "client-secret-9e8d7c";
const std::string kRefreshToken = "1//0gREFRESHSECRETabcdefghijklmnop";
const std::string kAccessToken = "access-token-secret-5a6b";

// A TLS Live API stand-in: records each upgrade request, answers setup with setupComplete.
class TlsLivePeer {
public:
    explicit TlsLivePeer(bool wrong_host_cert = false) {
        loop_.start();
        const auto& pki = test::credentials_pki();
        transport::WsServerOptions options;
        options.cert_file = wrong_host_cert ? pki.wrong_host_cert : pki.server_cert;
        options.key_file = wrong_host_cert ? pki.wrong_host_key : pki.server_key;
        auto server = transport::WsServer::listen(
            loop_, options, [this](const transport::UpgradeRequest& request) {
                std::lock_guard lock(mutex_);
                requests_.push_back(request);
                return transport::UpgradeDecision::accept(
                    [this](std::unique_ptr<transport::WsConnection> c) { on_open(std::move(c)); });
            });
        if (server)
            server_ = std::move(*server);
    }
    ~TlsLivePeer() {
        if (server_)
            server_->stop();
        std::vector<std::unique_ptr<transport::WsConnection>> connections;
        {
            std::lock_guard lock(mutex_);
            connections.swap(connections_);
        }
        connections.clear();
        loop_.stop();
    }
    [[nodiscard]] std::uint16_t port() const { return server_ ? server_->port() : 0; }
    std::vector<transport::UpgradeRequest> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    // The first message of the latest connection (setup), waiting for it.
    std::optional<std::string> setup(std::chrono::seconds timeout = std::chrono::seconds(20)) {
        std::unique_lock lock(mutex_);
        if (!changed_.wait_for(lock, timeout, [&] { return !messages_.empty(); }))
            return std::nullopt;
        return messages_.front();
    }

private:
    void on_open(std::unique_ptr<transport::WsConnection> connection) {
        auto* raw = connection.get();
        transport::WsHandlers handlers;
        // Each connection's first message is its setup: answer it.
        handlers.on_message = [this, raw, answered = false](transport::MessageKind,
                                                            std::string payload) mutable {
            {
                std::lock_guard lock(mutex_);
                messages_.push_back(std::move(payload));
                changed_.notify_all();
            }
            if (!answered)
                raw->send_binary(R"({"setupComplete":{}})");  // binary, like Google
            answered = true;
        };
        handlers.on_close = [](const transport::CloseInfo&) {};
        connection->start(std::move(handlers));
        std::lock_guard lock(mutex_);
        connections_.push_back(std::move(connection));
    }

    transport::EventLoop loop_;
    std::unique_ptr<transport::WsServer> server_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<transport::UpgradeRequest> requests_;
    std::vector<std::unique_ptr<transport::WsConnection>> connections_;
    std::vector<std::string> messages_;
};

Environment env(std::initializer_list<std::pair<const std::string, std::string>> vars) {
    Environment e;
    for (const auto& [k, v] : vars) e.variables.emplace(k, v);
    return e;
}

LiveSessionConfig config_for(const std::string& host, std::uint16_t port) {
    LiveSessionConfig config;
    config.model = "gemini-live-test";
    config.connection.ca_file = test::credentials_pki().ca_cert;
    config.connection.resolve_override = transport::ResolveOverride{host, "127.0.0.1", port};
    return config;
}

struct Outcome {
    bool setup_complete = false;
    SessionClosed closed{};
};

// Connects, waits for setupComplete (or the end), closes.
Outcome run_session(LiveSessionConfig config, const Environment& environment) {
    test::RecordingSink sink;
    Outcome outcome;
    {
        LiveSession session(sink);
        const auto status = session.connect(std::move(config), environment);
        if (!status) {
            outcome.closed.error = status.error();
            outcome.closed.message = status.error().message();
            return outcome;
        }
        // Whichever comes first: setupComplete or the end.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        std::optional<Event> seen;
        while (!seen && std::chrono::steady_clock::now() < deadline) {
            for (const auto& event : sink.events()) {
                if (event.kind == "setup" || event.kind == "closed") {
                    seen = event;
                    break;
                }
            }
            if (!seen)
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        outcome.setup_complete = seen && seen->kind == "setup";
        if (seen && seen->kind == "closed")
            outcome.closed = seen->closed;
        session.close();
    }
    return outcome;
}

std::string setup_model(const std::string& setup) {
    const auto json = nlohmann::json::parse(setup, nullptr, false);
    if (json.is_discarded() || !json.contains("setup"))
        return {};
    return json["setup"].value("model", "");
}

TEST(RealUrlTest, GeminiApiKeyGoesToGooglesHostInTheHeaderOverVerifiedTls) {
    TlsLivePeer peer;
    ASSERT_NE(peer.port(), 0);
    const auto outcome =
        run_session(config_for(kGeminiHost, peer.port()), env({{"GEMINI_API_KEY", kApiKey}}));
    ASSERT_TRUE(outcome.setup_complete) << outcome.closed.message;
    const auto requests = peer.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].target, kGeminiPath);  // no query: the key is not in the URL
    EXPECT_EQ(requests[0].query, "");
    EXPECT_EQ(requests[0].header("host"), kGeminiHost);
    EXPECT_EQ(requests[0].header("x-goog-api-key"), kApiKey);
    EXPECT_FALSE(requests[0].header("authorization"));
    EXPECT_EQ(setup_model(peer.setup().value_or("")), "models/gemini-live-test");
}

TEST(RealUrlTest, EphemeralTokenUsesTheConstrainedV1alphaPathWithAccessToken) {
    TlsLivePeer peer;
    auto config = config_for(kGeminiHost, peer.port());
    config.connection.api_key = kEphemeral;
    const auto outcome = run_session(config, {});
    ASSERT_TRUE(outcome.setup_complete) << outcome.closed.message;
    const auto requests = peer.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].path, kConstrainedPath);
    EXPECT_EQ(requests[0].query, "access_token=" + kEphemeral);
    EXPECT_FALSE(requests[0].header("x-goog-api-key"));
    EXPECT_EQ(requests[0].header("host"), kGeminiHost);
}

TEST(RealUrlTest, VertexWithAdcRefreshTokenReachesTheLocationHostWithABearerToken) {
    // The whole chain: gcloud's file -> refresh-token exchange at oauth2.googleapis.com ->
    // Bearer token on the upgrade to us-central1-aiplatform.googleapis.com.
    test::LocalTokenEndpoint token_endpoint([](const test::RecordedRequest& r) {
        if (test::form_value(r.body, "refresh_token") != kRefreshToken)
            return test::CannedResponse{400, R"({"error":"invalid_grant"})"};
        return test::CannedResponse{
            200, nlohmann::json{{"access_token", kAccessToken}, {"expires_in", 3599}}.dump()};
    });
    const auto home = test::credentials_pki().dir + "/home-real-url";
    std::filesystem::create_directories(home + "/.config/gcloud");
    test::write_temp_file("home-real-url/.config/gcloud/application_default_credentials.json",
                          nlohmann::json{{"type", "authorized_user"},
                                         {"client_id", "123.apps.googleusercontent.com"},
                                         {"client_secret", kClientSecret},
                                         {"refresh_token", kRefreshToken},
                                         {"quota_project_id", "my-proj"}}
                              .dump());

    TlsLivePeer peer;
    auto config = config_for(kVertexHost, peer.port());
    const auto environment = env({{"GOOGLE_GENAI_USE_VERTEXAI", "true"},
                                  {"GOOGLE_CLOUD_LOCATION", "us-central1"},
                                  {"HOME", home}});
    AdcTokenProviderOptions adc;
    adc.endpoint.ca_file = test::credentials_pki().ca_cert;
    adc.endpoint.resolve_override =
        transport::ResolveOverride{kTokenHost, "127.0.0.1", token_endpoint.port()};
    ASSERT_TRUE(apply_default_credentials(config, environment, adc));
    const auto outcome = run_session(config, environment);
    ASSERT_TRUE(outcome.setup_complete) << outcome.closed.message;

    ASSERT_EQ(token_endpoint.requests().size(), 1u);
    const auto requests = peer.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].target, kVertexPath);
    EXPECT_EQ(requests[0].header("host"), kVertexHost);
    EXPECT_EQ(requests[0].header("authorization"), "Bearer " + kAccessToken);
    EXPECT_FALSE(requests[0].header("x-goog-api-key"));
    EXPECT_EQ(setup_model(peer.setup().value_or("")),
              "projects/my-proj/locations/us-central1/publishers/google/models/gemini-live-test");
}

TEST(RealUrlTest, VertexExpressModeUsesTheGlobalHostAndTheKeyHeader) {
    TlsLivePeer peer;
    auto config = config_for(kGlobalVertexHost, peer.port());
    config.connection.backend = Backend::kVertex;
    const auto outcome = run_session(config, env({{"GOOGLE_API_KEY", kPlainKey}}));
    ASSERT_TRUE(outcome.setup_complete) << outcome.closed.message;
    const auto requests = peer.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].target, kVertexPath);
    EXPECT_EQ(requests[0].header("host"), kGlobalVertexHost);
    EXPECT_EQ(requests[0].header("x-goog-api-key"), kPlainKey);
    EXPECT_FALSE(requests[0].header("authorization"));
    EXPECT_EQ(setup_model(peer.setup().value_or("")), "publishers/google/models/gemini-live-test");
}

TEST(RealUrlTest, TheTlsServerNameIsTheRealHost) {
    // The token endpoint stand-in records SNI; pointed at by the Live hosts it sees the upgrade
    // request and refuses it (403), which the session reports as a failed connect.
    for (const std::string host : {kGeminiHost, kVertexHost}) {
        SCOPED_TRACE(host);
        test::LocalTokenEndpoint tls_server([](const test::RecordedRequest&) {
            return test::CannedResponse{403, "{}"};
        });
        auto config = config_for(host, tls_server.port());
        const bool vertex = host == kVertexHost;
        if (vertex) {
            config.connection.backend = Backend::kVertex;
            config.connection.project = "p";
            config.connection.location = "us-central1";
            config.connection.access_token = kAccessToken;
        }
        const auto outcome = run_session(config, env({{"GEMINI_API_KEY", kApiKey}}));
        EXPECT_FALSE(outcome.setup_complete);
        const auto requests = tls_server.requests();
        ASSERT_EQ(requests.size(), 1u);
        EXPECT_EQ(requests[0].sni, host);
        EXPECT_EQ(requests[0].method, "GET");
        EXPECT_EQ(requests[0].target, vertex ? kVertexPath : kGeminiPath);
        EXPECT_EQ(outcome.closed.message.find(kApiKey), std::string::npos);
        EXPECT_EQ(outcome.closed.message.find(kAccessToken), std::string::npos);
    }
}

TEST(RealUrlTest, ACertificateForAnotherHostIsRefusedBeforeTheKeyIsSent) {
    TlsLivePeer peer(/*wrong_host_cert=*/true);
    const auto outcome =
        run_session(config_for(kGeminiHost, peer.port()), env({{"GEMINI_API_KEY", kPlainKey}}));
    EXPECT_FALSE(outcome.setup_complete);
    EXPECT_TRUE(outcome.closed.error);
    EXPECT_NE(outcome.closed.message.find(kGeminiHost), std::string::npos)
        << outcome.closed.message;
    EXPECT_NE(outcome.closed.message.find("certificate"), std::string::npos)
        << outcome.closed.message;
    EXPECT_TRUE(peer.requests().empty());  // no upgrade request, so no key, went out
}

TEST(RealUrlTest, AServerTheTestCaDidNotIssueIsRefused) {
    TlsLivePeer peer;
    auto config = config_for(kGeminiHost, peer.port());
    config.connection.ca_file.clear();  // the system store does not know the test CA
    const auto outcome = run_session(config, env({{"GEMINI_API_KEY", kPlainKey}}));
    EXPECT_FALSE(outcome.setup_complete);
    EXPECT_NE(outcome.closed.message.find("certificate"), std::string::npos)
        << outcome.closed.message;
    EXPECT_TRUE(peer.requests().empty());
}

// Every place a secret could leak to: the log, the error, the endpoint's display URL and
// credential line.
void expect_no_secret(const std::string& where, const std::string& text) {
    for (const auto& secret :
         {kApiKey, kPlainKey, kEphemeral, kClientSecret, kRefreshToken, kAccessToken}) {
        EXPECT_EQ(text.find(secret), std::string::npos) << where << " holds a secret: " << text;
    }
    // Also no recognizable part of one (e.g. a token without its prefix).
    EXPECT_EQ(text.find("ephemeral-secret"), std::string::npos) << where << ": " << text;
    EXPECT_EQ(text.find("REFRESHSECRET"), std::string::npos) << where << ": " << text;
}

TEST(SecretsTest, NoKeyTokenOrRefreshTokenInLogsErrorsOrDisplayUrls) {
    test::LogCapture capture;
    std::vector<std::string> texts;

    // Endpoints for every backend, and their failures.
    const std::vector<Environment> environments = {
        env({{"GEMINI_API_KEY", kApiKey}}),
        env({{"GOOGLE_API_KEY", kPlainKey}}),
        env({{"GEMINI_API_KEY", kEphemeral}}),
        env({{"GOOGLE_GENAI_USE_VERTEXAI", "1"}, {"GOOGLE_API_KEY", kPlainKey}}),
        env({{"GOOGLE_GENAI_USE_VERTEXAI", "1"}, {"GOOGLE_CLOUD_PROJECT", "p"}}),
        env({{"GEMINI_API_KEY", kApiKey}, {"GOOGLE_GEMINI_BASE_URL", "http://example.com"}}),
        env({{"GEMINI_API_KEY", kApiKey}, {"GOOGLE_GEMINI_BASE_URL", "ftp://" + kApiKey}}),
    };
    for (const auto& environment : environments) {
        LiveSessionConfig config;
        auto endpoint = resolve_endpoint(config, environment);
        if (endpoint) {
            texts.push_back(endpoint->display_url);
            texts.push_back(endpoint->credential);
            texts.push_back(endpoint->host);
        } else {
            texts.push_back(endpoint.error().message());
        }
        config.connection.access_token = kAccessToken;
        config.connection.project = "p";
        if (auto vertex = resolve_endpoint(config, environment); vertex) {
            texts.push_back(vertex->display_url);
            texts.push_back(vertex->credential);
        }
    }

    // Token endpoint failures that echo what they were sent.
    test::LocalTokenEndpoint echoing([](const test::RecordedRequest& r) {
        return test::CannedResponse{
            400, nlohmann::json{{"error", "invalid_grant"}, {"error_description", r.body}}.dump()};
    });
    AdcTokenProviderOptions adc;
    adc.endpoint.ca_file = test::credentials_pki().ca_cert;
    adc.endpoint.resolve_override =
        transport::ResolveOverride{kTokenHost, "127.0.0.1", echoing.port()};
    AuthorizedUser user{"id.apps.googleusercontent.com", kClientSecret, kRefreshToken,
                        std::string(kGoogleTokenUri), ""};
    AdcTokenProvider refused(Credentials{user, "test user"}, adc);
    const auto refused_token = refused.access_token();
    ASSERT_FALSE(refused_token);
    texts.push_back(refused_token.error().message());

    // Malformed and unreadable files holding secrets.
    const auto broken = test::write_temp_file(
        "broken-secret.json", "{\"type\":\"authorized_user\",\"refresh_token\":\"" + kRefreshToken +
                                  "\",\"client_secret\":\"" + kClientSecret + "\"");
    texts.push_back(find_default_credentials(env({{"GOOGLE_APPLICATION_CREDENTIALS", broken}}))
                        .error()
                        .message());
    const auto partial =
        test::write_temp_file("partial-secret.json",
                              "{\"type\":\"authorized_user\",\"refresh_token\":\"" + kRefreshToken +
                                  "\",\"client_secret\":\"" + kClientSecret + "\"}");
    texts.push_back(find_default_credentials(env({{"GOOGLE_APPLICATION_CREDENTIALS", partial}}))
                        .error()
                        .message());

    // Live sessions that work, and that fail at each step, through a LiveSession (its log
    // lines at debug level are captured too).
    {
        TlsLivePeer peer;
        const auto plain =
            run_session(config_for(kGeminiHost, peer.port()), env({{"GEMINI_API_KEY", kPlainKey}}));
        EXPECT_TRUE(plain.setup_complete) << plain.closed.message;
        auto ephemeral = config_for(kGeminiHost, peer.port());
        ephemeral.connection.api_key = kEphemeral;
        const auto constrained = run_session(ephemeral, {});
        EXPECT_TRUE(constrained.setup_complete) << constrained.closed.message;
    }
    {
        TlsLivePeer wrong(/*wrong_host_cert=*/true);
        texts.push_back(run_session(config_for(kGeminiHost, wrong.port()),
                                    env({{"GEMINI_API_KEY", kEphemeral}}))
                            .closed.message);
        texts.push_back(
            run_session(config_for(kGeminiHost, wrong.port()), env({{"GEMINI_API_KEY", kPlainKey}}))
                .closed.message);
    }
    {
        auto vertex = config_for(kVertexHost, 9);
        vertex.connection.backend = Backend::kVertex;
        vertex.connection.project = "p";
        vertex.connection.location = "us-central1";
        vertex.connection.token_provider =
            std::make_shared<AdcTokenProvider>(Credentials{user, "test user"}, adc);
        texts.push_back(run_session(vertex, {}).closed.message);  // the provider fails
        vertex.connection.token_provider = std::make_shared<StaticTokenProvider>(kAccessToken);
        texts.push_back(run_session(vertex, {}).closed.message);  // nothing listens on :9
    }

    texts.push_back(capture.text());
    EXPECT_NE(capture.text().find("session:"), std::string::npos);  // the capture works
    for (std::size_t i = 0; i < texts.size(); ++i)
        expect_no_secret("text " + std::to_string(i), texts[i]);
}

// ---- LiveSession::connect finds Application Default Credentials by itself (issue 5) ----

// A service-account key file whose token_uri is the local token endpoint (real key files carry
// their token_uri; the test CA's certificate names localhost).
std::string service_account_file(const std::string& name, const test::RsaKeyPair& key,
                                 std::uint16_t token_port) {
    return test::write_temp_file(
        name,
        nlohmann::json{{"type", "service_account"},
                       {"project_id", "sa-proj"},
                       {"private_key_id", "kid-7"},
                       {"private_key", key.private_pem},
                       {"client_email", "live@sa-proj.iam.gserviceaccount.com"},
                       {"token_uri", "https://localhost:" + std::to_string(token_port) + "/token"}}
            .dump());
}

Environment vertex_env(const std::string& credentials_file) {
    return env({{"GOOGLE_GENAI_USE_VERTEXAI", "true"},
                {"GOOGLE_CLOUD_PROJECT", "my-proj"},
                {"GOOGLE_CLOUD_LOCATION", "us-central1"},
                {"GOOGLE_APPLICATION_CREDENTIALS", credentials_file}});
}

const test::RsaKeyPair& session_key() {
    static const auto pair = test::make_rsa_key();
    return pair;
}

TEST(AdcSessionTest, VertexWithOnlyAServiceAccountFileConnectsWithTheExchangedBearerToken) {
    std::atomic<int> exchanges{0};
    test::LocalTokenEndpoint token_endpoint([&](const test::RecordedRequest& r) {
        const auto assertion = test::form_value(r.body, "assertion");
        if (test::form_value(r.body, "grant_type") !=
                "urn:ietf:params:oauth:grant-type:jwt-bearer" ||
            !assertion || !test::verify_rs256(*assertion, session_key().public_pem)) {
            return test::CannedResponse{400, R"({"error":"invalid_grant"})"};
        }
        return test::CannedResponse{
            200, nlohmann::json{{"access_token", kAccessToken + std::to_string(++exchanges)},
                                {"expires_in", 3599}}
                     .dump()};
    });
    const auto key_file =
        service_account_file("sa-session.json", session_key(), token_endpoint.port());
    TlsLivePeer peer;
    test::LogCapture capture;
    // No token, provider or key in the config: connect() alone finds the key file.
    const auto outcome = run_session(config_for(kVertexHost, peer.port()), vertex_env(key_file));
    ASSERT_TRUE(outcome.setup_complete) << outcome.closed.message;

    const auto token_requests = token_endpoint.requests();
    ASSERT_EQ(token_requests.size(), 1u);
    EXPECT_EQ(token_requests[0].target, "/token");
    const auto requests = peer.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].target, kVertexPath);
    EXPECT_EQ(requests[0].header("host"), kVertexHost);
    EXPECT_EQ(requests[0].header("authorization"), "Bearer " + kAccessToken + "1");
    EXPECT_FALSE(requests[0].header("x-goog-api-key"));
    // GOOGLE_CLOUD_PROJECT wins over the key's own project_id, as in the SDKs.
    EXPECT_EQ(setup_model(peer.setup().value_or("")),
              "projects/my-proj/locations/us-central1/publishers/google/models/gemini-live-test");
    expect_no_secret("log", capture.text());
}

TEST(AdcSessionTest, EachReconnectCarriesATokenThatHasNotExpired) {
    // Tokens that live one second: the reconnect after it has passed must not send the old one.
    std::atomic<int> exchanges{0};
    test::LocalTokenEndpoint token_endpoint([&](const test::RecordedRequest&) {
        return test::CannedResponse{
            200, nlohmann::json{{"access_token", "short-lived-" + std::to_string(++exchanges)},
                                {"expires_in", 1}}
                     .dump()};
    });
    const auto key_file =
        service_account_file("sa-short.json", session_key(), token_endpoint.port());
    TlsLivePeer peer;
    test::RecordingSink sink;
    LiveSession session(sink);
    ASSERT_TRUE(session.connect(config_for(kVertexHost, peer.port()), vertex_env(key_file)));
    const auto first = sink.wait("setup");
    ASSERT_TRUE(first);
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the token has expired
    ASSERT_TRUE(session.reconnect());
    ASSERT_TRUE(sink.wait("setup", *first + 1)) << "no setupComplete after the reconnect";
    session.close();

    // The first connection's token had expired by the reconnect, so the second carries a newer
    // one (which number depends on whether a background refresh ran in between).
    const auto requests = peer.requests();
    ASSERT_EQ(requests.size(), 2u);
    const auto first_token = requests[0].header("authorization").value_or("");
    const auto second_token = requests[1].header("authorization").value_or("");
    EXPECT_TRUE(first_token.starts_with("Bearer short-lived-")) << first_token;
    EXPECT_TRUE(second_token.starts_with("Bearer short-lived-")) << second_token;
    EXPECT_NE(first_token, second_token);
    EXPECT_GE(token_endpoint.requests().size(), 2u);
}

TEST(AdcSessionTest, ARefusedKeyIsOneLineNamingTheFileAndTheEndpointsAnswer) {
    test::LocalTokenEndpoint token_endpoint([](const test::RecordedRequest&) {
        return test::CannedResponse{
            400, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})"};
    });
    const auto key_file =
        service_account_file("sa-refused.json", session_key(), token_endpoint.port());
    TlsLivePeer peer;
    test::RecordingSink sink;
    LiveSession session(sink);
    const auto status = session.connect(config_for(kVertexHost, peer.port()), vertex_env(key_file));
    ASSERT_FALSE(status);
    EXPECT_EQ(credentials_error_kind(status.error()), CredentialsError::kTokenRefused);
    const auto message = status.error().message();
    EXPECT_NE(message.find("GOOGLE_APPLICATION_CREDENTIALS (" + key_file + ")"), std::string::npos)
        << message;
    EXPECT_NE(message.find("HTTP 400 from localhost:"), std::string::npos) << message;
    EXPECT_NE(message.find("invalid_grant (Invalid JWT Signature.)"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
    EXPECT_EQ(message.find("PRIVATE KEY"), std::string::npos);
    EXPECT_EQ(session.state(), SessionState::kIdle);
    EXPECT_TRUE(peer.requests().empty());  // nothing went to the Live endpoint
}

TEST(AdcSessionTest, NoCredentialsAnywhereNamesEverythingTried) {
    const auto home = test::credentials_pki().dir + "/home-empty";
    std::filesystem::create_directories(home);
    test::RecordingSink sink;
    LiveSession session(sink);
    const auto status =
        session.connect(config_for(kVertexHost, 9), env({{"GOOGLE_GENAI_USE_VERTEXAI", "true"},
                                                         {"GOOGLE_CLOUD_PROJECT", "p"},
                                                         {"HOME", home}}));
    ASSERT_FALSE(status);
    EXPECT_EQ(credentials_error_kind(status.error()), CredentialsError::kNoCredentials);
    const auto message = status.error().message();
    EXPECT_NE(message.find("GOOGLE_APPLICATION_CREDENTIALS unset"), std::string::npos) << message;
    EXPECT_NE(message.find(home + "/.config/gcloud/application_default_credentials.json"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("GEMINI_API_KEY"), std::string::npos) << message;
}

}  // namespace
}  // namespace parley::session

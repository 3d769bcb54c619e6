// SPDX-License-Identifier: Apache-2.0
// resolve_endpoint for every backend against LIVE_PROTOCOL.md §1 and §10: exact URLs, header
// names, model names, which credential wins, and that secrets stay out of URLs and errors.
#include "session/endpoint.hpp"

#include <cstdlib>

#include <gtest/gtest.h>

#include "session/error.hpp"
#include "transport/url.hpp"

namespace parley::session {
namespace {

constexpr std::string_view kGeminiPath =
    "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent";
constexpr std::string_view kVertexPath =
    "/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent";
const std::string kKey = "AIzaSyTESTKEY0123456789abcdefghijklmnop";
const std::string kOtherKey = "AIzaSyOTHERKEY0123456789abcdefghijklmn";

Environment env(std::initializer_list<std::pair<const std::string, std::string>> vars) {
    Environment e;
    for (const auto& [k, v] : vars) e.variables.emplace(k, v);
    return e;
}

LiveSessionConfig config_with_model(std::string model = "gemini-live-test") {
    LiveSessionConfig config;
    config.model = std::move(model);
    return config;
}

transport::Headers key_header(const std::string& key) {
    return {{"x-goog-api-key", key}};
}

TEST(EndpointTest, GeminiKeyGoesInTheHeaderNeverTheUrl) {
    const auto endpoint = resolve_endpoint(config_with_model(), env({{"GEMINI_API_KEY", kKey}}));
    ASSERT_TRUE(endpoint) << endpoint.error().message();
    EXPECT_EQ(endpoint->backend, Backend::kGeminiApi);
    EXPECT_EQ(endpoint->url, "wss://generativelanguage.googleapis.com" + std::string(kGeminiPath));
    EXPECT_EQ(endpoint->headers, key_header(kKey));
    EXPECT_EQ(endpoint->model, "models/gemini-live-test");
    EXPECT_EQ(endpoint->host, "generativelanguage.googleapis.com:443");
    EXPECT_EQ(endpoint->credential, "GEMINI_API_KEY");
    EXPECT_EQ(endpoint->url.find(kKey), std::string::npos);
    EXPECT_EQ(endpoint->display_url, endpoint->url);
    EXPECT_FALSE(endpoint->ephemeral_token);
}

TEST(EndpointTest, GeminiApiKeyWinsOverGoogleApiKeyAndTheLogLineSaysSo) {
    const auto endpoint = resolve_endpoint(
        config_with_model(), env({{"GEMINI_API_KEY", kKey}, {"GOOGLE_API_KEY", kOtherKey}}));
    ASSERT_TRUE(endpoint);
    EXPECT_EQ(endpoint->headers, key_header(kKey));
    EXPECT_NE(endpoint->credential.find("GEMINI_API_KEY"), std::string::npos);
    EXPECT_NE(endpoint->credential.find("GOOGLE_API_KEY is also set"), std::string::npos);
    EXPECT_EQ(endpoint->credential.find(kKey), std::string::npos);
    EXPECT_EQ(endpoint->credential.find(kOtherKey), std::string::npos);
}

TEST(EndpointTest, GoogleApiKeyIsUsedWhenAlone) {
    const auto endpoint =
        resolve_endpoint(config_with_model(), env({{"GOOGLE_API_KEY", kOtherKey}}));
    ASSERT_TRUE(endpoint);
    EXPECT_EQ(endpoint->headers, key_header(kOtherKey));
    EXPECT_EQ(endpoint->credential, "GOOGLE_API_KEY");
}

TEST(EndpointTest, ConfigKeyWinsOverTheEnvironment) {
    auto config = config_with_model();
    config.connection.api_key = kOtherKey;
    const auto endpoint = resolve_endpoint(config, env({{"GEMINI_API_KEY", kKey}}));
    ASSERT_TRUE(endpoint);
    EXPECT_EQ(endpoint->headers, key_header(kOtherKey));
    EXPECT_EQ(endpoint->credential, "the config's API key");
}

TEST(EndpointTest, MissingKeyIsOneClearLine) {
    const auto endpoint = resolve_endpoint(config_with_model(), env({}));
    ASSERT_FALSE(endpoint);
    EXPECT_EQ(endpoint.error(), SessionError::kNoApiKey);
    EXPECT_EQ(endpoint.error().message(),
              "no API key: set GEMINI_API_KEY or GOOGLE_API_KEY, or use --url for a local server");
    EXPECT_EQ(endpoint.error(), SessionCondition::kConfiguration);
}

TEST(EndpointTest, ApiVersionIsAPathSegment) {
    auto config = config_with_model();
    config.connection.api_version = "v1alpha";
    const auto endpoint = resolve_endpoint(config, env({{"GEMINI_API_KEY", kKey}}));
    ASSERT_TRUE(endpoint);
    EXPECT_EQ(endpoint->url,
              "wss://generativelanguage.googleapis.com/ws/google.ai.generativelanguage.v1alpha."
              "GenerativeService.BidiGenerateContent");
    config.connection.api_version = "v1beta/../../evil?x=";
    const auto bad = resolve_endpoint(config, env({{"GEMINI_API_KEY", kKey}}));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), SessionError::kInvalidUrl);
}

TEST(EndpointTest, EphemeralTokenUsesTheConstrainedV1alphaPathWithAccessToken) {
    auto config = config_with_model();
    config.connection.api_key = "auth_tokens/abc123";
    const auto endpoint = resolve_endpoint(config, env({{"GEMINI_API_KEY", kKey}}));
    ASSERT_TRUE(endpoint);
    EXPECT_TRUE(endpoint->ephemeral_token);
    EXPECT_EQ(endpoint->url,
              "wss://generativelanguage.googleapis.com/ws/google.ai.generativelanguage.v1alpha."
              "GenerativeService.BidiGenerateContentConstrained?access_token=auth_tokens/abc123");
    EXPECT_TRUE(endpoint->headers.empty()) << "the token is not sent twice";
    EXPECT_EQ(endpoint->display_url.find("abc123"), std::string::npos) << endpoint->display_url;
    EXPECT_EQ(endpoint->credential.find("abc123"), std::string::npos);
}

TEST(EndpointTest, EphemeralTokenFromTheEnvironmentToo) {
    const auto endpoint =
        resolve_endpoint(config_with_model(), env({{"GEMINI_API_KEY", "auth_tokens/x+y"}}));
    ASSERT_TRUE(endpoint);
    EXPECT_TRUE(endpoint->url.ends_with("?access_token=auth_tokens/x%2By"))
        << "escaped for a query";
}

TEST(EndpointTest, BaseUrlFromTheEnvironmentLikeTheSdk) {
    const auto endpoint = resolve_endpoint(
        config_with_model(),
        env({{"GEMINI_API_KEY", kKey}, {"GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:9000/"}}));
    ASSERT_TRUE(endpoint);
    EXPECT_EQ(endpoint->url, "ws://127.0.0.1:9000" + std::string(kGeminiPath));
    EXPECT_EQ(endpoint->headers, key_header(kKey));
}

TEST(EndpointTest, BaseUrlWithAPrefixKeepsIt) {
    auto config = config_with_model();
    config.connection.base_url = "https://proxy.example.com/live/";
    const auto endpoint = resolve_endpoint(
        config, env({{"GEMINI_API_KEY", kKey}, {"GOOGLE_GEMINI_BASE_URL", "http://ignored:1"}}));
    ASSERT_TRUE(endpoint);
    EXPECT_EQ(endpoint->url, "wss://proxy.example.com/live" + std::string(kGeminiPath));
}

TEST(EndpointTest, BadBaseUrlIsRejectedWithoutEchoingIt) {
    auto config = config_with_model();
    config.connection.base_url = "ftp://host/" + kKey;
    const auto endpoint = resolve_endpoint(config, env({{"GEMINI_API_KEY", kKey}}));
    ASSERT_FALSE(endpoint);
    EXPECT_EQ(endpoint.error(), SessionError::kInvalidUrl);
    EXPECT_EQ(endpoint.error().message().find(kKey), std::string::npos);
}

TEST(EndpointTest, VertexWithAccessTokenProjectAndLocation) {
    auto config = config_with_model("gemini-live-2.5-flash");
    config.connection.access_token = "ya29.secret-token";
    const auto endpoint = resolve_endpoint(config, env({{"GOOGLE_GENAI_USE_VERTEXAI", "true"},
                                                        {"GOOGLE_CLOUD_PROJECT", "my-proj"},
                                                        {"GOOGLE_CLOUD_LOCATION", "us-central1"},
                                                        {"GEMINI_API_KEY", kKey}}));
    ASSERT_TRUE(endpoint) << endpoint.error().message();
    EXPECT_EQ(endpoint->backend, Backend::kVertex);
    EXPECT_EQ(endpoint->url,
              "wss://us-central1-aiplatform.googleapis.com" + std::string(kVertexPath));
    EXPECT_EQ(endpoint->headers,
              (transport::Headers{{"authorization", "Bearer ya29.secret-token"}}));
    EXPECT_EQ(
        endpoint->model,
        "projects/my-proj/locations/us-central1/publishers/google/models/gemini-live-2.5-flash");
    EXPECT_EQ(endpoint->url.find("ya29"), std::string::npos);
    EXPECT_EQ(endpoint->credential.find("ya29"), std::string::npos);
}

TEST(EndpointTest, VertexGlobalLocationUsesTheGlobalHost) {
    auto config = config_with_model("gemini-live-2.5-flash");
    config.connection.backend = Backend::kVertex;
    config.connection.project = "p1";
    config.connection.location = "global";
    config.connection.access_token = "ya29.t";
    const auto endpoint = resolve_endpoint(config, env({}));
    ASSERT_TRUE(endpoint);
    EXPECT_EQ(endpoint->url, "wss://aiplatform.googleapis.com" + std::string(kVertexPath));
    EXPECT_EQ(endpoint->model,
              "projects/p1/locations/global/publishers/google/models/gemini-live-2.5-flash");
}

TEST(EndpointTest, VertexLocationDefaultsToGlobal) {
    auto config = config_with_model();
    config.connection.access_token = "ya29.t";
    const auto endpoint = resolve_endpoint(
        config, env({{"GOOGLE_GENAI_USE_VERTEXAI", "1"}, {"GOOGLE_CLOUD_PROJECT", "p"}}));
    ASSERT_TRUE(endpoint);
    EXPECT_EQ(endpoint->url, "wss://aiplatform.googleapis.com" + std::string(kVertexPath));
}

TEST(EndpointTest, VertexNeedsAProjectAndCredentials) {
    auto config = config_with_model();
    config.connection.access_token = "ya29.t";
    const auto no_project = resolve_endpoint(config, env({{"GOOGLE_GENAI_USE_VERTEXAI", "true"}}));
    ASSERT_FALSE(no_project);
    EXPECT_EQ(no_project.error(), SessionError::kNoVertexProject);
    EXPECT_NE(no_project.error().message().find("GOOGLE_CLOUD_PROJECT"), std::string::npos);
    EXPECT_EQ(no_project.error().message().find("ya29"), std::string::npos);

    const auto no_credentials = resolve_endpoint(
        config_with_model(),
        env({{"GOOGLE_GENAI_USE_VERTEXAI", "TRUE"}, {"GOOGLE_CLOUD_PROJECT", "p"}}));
    ASSERT_FALSE(no_credentials);
    EXPECT_EQ(no_credentials.error(), SessionError::kNoVertexCredentials);
}

TEST(EndpointTest, VertexExpressModeUsesTheApiKeyHeaderAndTheGlobalHost) {
    const auto endpoint = resolve_endpoint(
        config_with_model("gemini-live-2.5-flash"),
        env({{"GOOGLE_GENAI_USE_VERTEXAI", "true"}, {"GOOGLE_API_KEY", kOtherKey}}));
    ASSERT_TRUE(endpoint);
    EXPECT_EQ(endpoint->url, "wss://aiplatform.googleapis.com" + std::string(kVertexPath));
    EXPECT_EQ(endpoint->headers, key_header(kOtherKey));
    EXPECT_EQ(endpoint->model, "publishers/google/models/gemini-live-2.5-flash");
}

TEST(EndpointTest, ExplicitLocalUrlNeedsNoKeyAndGetsTheGeminiPath) {
    auto config = config_with_model();
    config.connection.url = "ws://127.0.0.1:8765";
    const auto endpoint = resolve_endpoint(config, env({}));
    ASSERT_TRUE(endpoint) << endpoint.error().message();
    EXPECT_EQ(endpoint->url, "ws://127.0.0.1:8765" + std::string(kGeminiPath));
    ASSERT_EQ(endpoint->headers.size(), 1u);
    EXPECT_EQ(endpoint->headers[0].first, "x-goog-api-key") << "the local server wants some key";
    EXPECT_EQ(endpoint->model, "models/gemini-live-test");
    EXPECT_EQ(endpoint->host, "127.0.0.1:8765");
}

TEST(EndpointTest, ExplicitUrlWithAPathIsUsedVerbatim) {
    auto config = config_with_model();
    config.connection.url = "ws://localhost:9/my/proxy/path";
    const auto endpoint = resolve_endpoint(config, env({{"GEMINI_API_KEY", kKey}}));
    ASSERT_TRUE(endpoint);
    EXPECT_EQ(endpoint->url, "ws://localhost:9/my/proxy/path");
    EXPECT_EQ(endpoint->headers, key_header(kKey));
}

TEST(EndpointTest, VertexThroughAnExplicitUrl) {
    auto config = config_with_model("gemini-live-2.5-flash");
    config.connection.backend = Backend::kVertex;
    config.connection.url = "ws://127.0.0.1:7000/";
    config.connection.project = "p";
    config.connection.location = "europe-west4";
    config.connection.access_token = "ya29.t";
    const auto endpoint = resolve_endpoint(config, env({}));
    ASSERT_TRUE(endpoint);
    EXPECT_EQ(endpoint->url, "ws://127.0.0.1:7000" + std::string(kVertexPath));
    EXPECT_EQ(endpoint->model,
              "projects/p/locations/europe-west4/publishers/google/models/gemini-live-2.5-flash");
}

TEST(EndpointTest, KeysNeverTravelUnencryptedToAnotherHost) {
    auto config = config_with_model();
    config.connection.url = "ws://192.0.2.10:8765";
    const auto endpoint = resolve_endpoint(config, env({{"GEMINI_API_KEY", kKey}}));
    ASSERT_FALSE(endpoint);
    EXPECT_EQ(endpoint.error(), SessionError::kInsecureKey);
    EXPECT_EQ(endpoint.error().message().find(kKey), std::string::npos);
    // Without a key there is nothing to protect.
    EXPECT_TRUE(resolve_endpoint(config, env({})));
}

TEST(EndpointTest, ModelNamesAreExpandedPerBackend) {
    EXPECT_EQ(expand_model_name(Backend::kGeminiApi, "m", "", ""), "models/m");
    EXPECT_EQ(expand_model_name(Backend::kGeminiApi, "models/m", "", ""), "models/m");
    EXPECT_EQ(expand_model_name(Backend::kGeminiApi, "tunedModels/t", "", ""), "tunedModels/t");
    EXPECT_EQ(expand_model_name(Backend::kVertex, "m", "p", "l"),
              "projects/p/locations/l/publishers/google/models/m");
    EXPECT_EQ(expand_model_name(Backend::kVertex, "models/m", "p", "l"),
              "projects/p/locations/l/publishers/google/models/m");
    EXPECT_EQ(expand_model_name(Backend::kVertex, "publishers/google/models/m", "p", "l"),
              "projects/p/locations/l/publishers/google/models/m");
    EXPECT_EQ(expand_model_name(Backend::kVertex,
                                "projects/x/locations/y/publishers/google/models/m", "p", "l"),
              "projects/x/locations/y/publishers/google/models/m");
    EXPECT_EQ(expand_model_name(Backend::kVertex, "m", "", "global"), "publishers/google/models/m");
}

TEST(EndpointTest, BadModelNameIsAConfigError) {
    const auto endpoint =
        resolve_endpoint(config_with_model("bad model"), env({{"GEMINI_API_KEY", kKey}}));
    ASSERT_FALSE(endpoint);
    EXPECT_EQ(endpoint.error(), SessionError::kInvalidConfig);
}

// Every resolvable setup: the key is in no URL (the ephemeral token case aside) and every
// failure's text holds no secret.
TEST(EndpointTest, SecretsAreNeverInUrlsOrErrors) {
    const std::string token = "ya29.a0SECRETTOKENVALUE";
    struct Case {
        const char* name;
        LiveSessionConfig config;
        Environment environment;
    };
    std::vector<Case> cases;
    auto add = [&](const char* name, auto&& edit, Environment e) {
        auto c = config_with_model();
        edit(c);
        cases.push_back({name, c, std::move(e)});
    };
    const Environment with_key = env({{"GEMINI_API_KEY", kKey}, {"GOOGLE_API_KEY", kOtherKey}});
    add(
        "gemini", [](auto&) {}, with_key);
    add(
        "gemini base url", [](auto& c) { c.connection.base_url = "http://127.0.0.1:1"; }, with_key);
    add(
        "local url", [](auto& c) { c.connection.url = "ws://127.0.0.1:1"; }, with_key);
    add(
        "vertex token",
        [&](auto& c) {
            c.connection.backend = Backend::kVertex;
            c.connection.project = "p";
            c.connection.access_token = token;
        },
        with_key);
    add(
        "vertex express", [](auto& c) { c.connection.backend = Backend::kVertex; }, with_key);
    add(
        "vertex no project",
        [&](auto& c) {
            c.connection.backend = Backend::kVertex;
            c.connection.access_token = token;
        },
        with_key);
    add(
        "insecure", [](auto& c) { c.connection.url = "ws://198.51.100.1:1"; }, with_key);
    add(
        "bad url", [](auto& c) { c.connection.url = "wss://" + kKey + "#frag"; }, with_key);
    add(
        "bad base", [](auto& c) { c.connection.base_url = "gopher://x?key=" + kKey; }, with_key);
    add(
        "bad model", [](auto& c) { c.model = "bad model " + kKey; }, with_key);
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto endpoint = resolve_endpoint(c.config, c.environment);
        if (endpoint) {
            EXPECT_EQ(endpoint->url.find(kKey), std::string::npos);
            EXPECT_EQ(endpoint->url.find(kOtherKey), std::string::npos);
            EXPECT_EQ(endpoint->url.find(token), std::string::npos);
            EXPECT_EQ(endpoint->display_url, endpoint->url);
            EXPECT_EQ(endpoint->credential.find(kKey), std::string::npos);
        } else {
            const auto message = endpoint.error().message();
            EXPECT_EQ(message.find(kKey), std::string::npos) << message;
            EXPECT_EQ(message.find(kOtherKey), std::string::npos) << message;
            EXPECT_EQ(message.find(token), std::string::npos) << message;
        }
    }
}

TEST(EndpointTest, EnvironmentFromProcessReadsOnlyItsVariables) {
    ::setenv("GEMINI_API_KEY", "from-process", 1);
    ::setenv("PARLEY_UNRELATED_VARIABLE", "x", 1);
    const auto environment = Environment::from_process();
    ::unsetenv("GEMINI_API_KEY");
    ::unsetenv("PARLEY_UNRELATED_VARIABLE");
    EXPECT_EQ(environment.get("GEMINI_API_KEY"), "from-process");
    EXPECT_EQ(environment.get("PARLEY_UNRELATED_VARIABLE"), "");
}

TEST(EndpointTest, EnvironmentFromProcessReadsTheApplicationDefaultCredentialsVariables) {
    ::setenv("GOOGLE_APPLICATION_CREDENTIALS", "/keys/sa.json", 1);
    ::setenv("CLOUDSDK_CONFIG", "/gcloud", 1);
    const auto environment = Environment::from_process();
    ::unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
    ::unsetenv("CLOUDSDK_CONFIG");
    EXPECT_EQ(environment.get("GOOGLE_APPLICATION_CREDENTIALS"), "/keys/sa.json");
    EXPECT_EQ(environment.get("CLOUDSDK_CONFIG"), "/gcloud");
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
        EXPECT_EQ(environment.get("HOME"), home);
    }
}

TEST(EndpointTest, ChooseBackendFollowsTheConfigThenTheVariable) {
    ConnectionConfig connection;
    EXPECT_EQ(choose_backend(connection, env({})), Backend::kGeminiApi);
    EXPECT_EQ(choose_backend(connection, env({{"GOOGLE_GENAI_USE_VERTEXAI", "TRUE"}})),
              Backend::kVertex);
    EXPECT_EQ(choose_backend(connection, env({{"GOOGLE_GENAI_USE_VERTEXAI", "1"}})),
              Backend::kVertex);
    EXPECT_EQ(choose_backend(connection, env({{"GOOGLE_GENAI_USE_VERTEXAI", "false"}})),
              Backend::kGeminiApi);
    EXPECT_EQ(choose_backend(connection, env({{"GOOGLE_GENAI_USE_VERTEXAI", "yes"}})),
              Backend::kGeminiApi);
    connection.backend = Backend::kGeminiApi;
    EXPECT_EQ(choose_backend(connection, env({{"GOOGLE_GENAI_USE_VERTEXAI", "true"}})),
              Backend::kGeminiApi);
    connection.backend = Backend::kVertex;
    EXPECT_EQ(choose_backend(connection, env({})), Backend::kVertex);
}

TEST(EndpointTest, LoopbackHosts) {
    EXPECT_TRUE(is_loopback_host("localhost"));
    EXPECT_TRUE(is_loopback_host("127.0.0.1"));
    EXPECT_TRUE(is_loopback_host("127.8.9.10"));
    EXPECT_TRUE(is_loopback_host("::1"));
    EXPECT_TRUE(is_loopback_host("[::1]"));
    EXPECT_FALSE(is_loopback_host("127.0.0.1.example.com"));
    EXPECT_FALSE(is_loopback_host("127.0.0"));
    EXPECT_FALSE(is_loopback_host("127.0.0.256"));
    EXPECT_FALSE(is_loopback_host("10.0.0.1"));
    EXPECT_FALSE(is_loopback_host("generativelanguage.googleapis.com"));
}

}  // namespace
}  // namespace parley::session

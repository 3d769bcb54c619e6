// SPDX-License-Identifier: Apache-2.0
// Finding and reading Application Default Credentials the way the SDKs do: the file named by
// GOOGLE_APPLICATION_CREDENTIALS, gcloud's well-known file, each file type, each broken file, and
// the one line that says what was tried. Also which configs get an ADC token provider.
#include "session/credentials.hpp"

#include <filesystem>

#include <gtest/gtest.h>

#include "credentials_test_support.hpp"
#include "session/adc_token_provider.hpp"
#include "session/credentials_error.hpp"

namespace parley::session {
namespace {

const std::string kClientSecret = "d-FL95Q19q7MQmFpd7hHD0Ty";
const std::string kRefreshToken = "1//0gTESTREFRESHTOKENabcdefghijklmnop";

std::string service_account_json(const std::string& extra = {}) {
    return R"({"type":"service_account","project_id":"sa-proj","private_key_id":"k1",)"
           R"("private_key":"-----BEGIN PRIVATE KEY-----\nMIIsecret\n-----END PRIVATE KEY-----\n",)"
           R"("client_email":"live@sa-proj.iam.gserviceaccount.com",)"
           R"("token_uri":"https://oauth2.googleapis.com/token")" +
           extra + "}";
}

std::string authorized_user_json() {
    return R"({"type":"authorized_user","client_id":"123.apps.googleusercontent.com",)"
           R"("client_secret":")" +
           kClientSecret + R"(","refresh_token":")" + kRefreshToken +
           R"(","quota_project_id":"quota-proj"})";
}

Environment env(std::initializer_list<std::pair<const std::string, std::string>> vars) {
    Environment e;
    for (const auto& [k, v] : vars) e.variables.emplace(k, v);
    return e;
}

// A fresh directory under the test PKI dir, standing in for $HOME or $CLOUDSDK_CONFIG.
std::string fresh_dir(const std::string& name) {
    const auto dir = test::credentials_pki().dir + "/" + name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

TEST(CredentialsTest, ServiceAccountKeyIsRead) {
    const auto c = parse_credentials(service_account_json(), "test");
    ASSERT_TRUE(c) << c.error().message();
    ASSERT_TRUE(c->is_service_account());
    const auto& sa = std::get<ServiceAccountKey>(c->key);
    EXPECT_EQ(sa.client_email, "live@sa-proj.iam.gserviceaccount.com");
    EXPECT_EQ(sa.private_key_id, "k1");
    EXPECT_NE(sa.private_key.find("BEGIN PRIVATE KEY"), std::string::npos);
    EXPECT_EQ(c->token_uri(), "https://oauth2.googleapis.com/token");
    EXPECT_EQ(c->project_id(), "sa-proj");
    EXPECT_EQ(c->source, "test");
}

TEST(CredentialsTest, GcloudUserCredentialsAreReadWithGooglesTokenEndpoint) {
    const auto c = parse_credentials(authorized_user_json(), "gcloud");
    ASSERT_TRUE(c) << c.error().message();
    ASSERT_FALSE(c->is_service_account());
    const auto& user = std::get<AuthorizedUser>(c->key);
    EXPECT_EQ(user.client_id, "123.apps.googleusercontent.com");
    EXPECT_EQ(user.client_secret, kClientSecret);
    EXPECT_EQ(user.refresh_token, kRefreshToken);
    EXPECT_EQ(c->token_uri(), "https://oauth2.googleapis.com/token");
    EXPECT_EQ(c->project_id(), "quota-proj");
}

TEST(CredentialsTest, BrokenFilesNameTheProblemButNotTheContents) {
    const auto not_json =
        parse_credentials("{\"type\": \"service_account\", " + kRefreshToken, "F");
    ASSERT_FALSE(not_json);
    EXPECT_EQ(credentials_error_kind(not_json.error()), CredentialsError::kMalformedFile);
    EXPECT_NE(not_json.error().message().find("F is not JSON"), std::string::npos);
    EXPECT_EQ(not_json.error().message().find(kRefreshToken), std::string::npos);

    const auto no_type = parse_credentials(R"({"client_email":"a"})", "F");
    ASSERT_FALSE(no_type);
    EXPECT_EQ(credentials_error_kind(no_type.error()), CredentialsError::kMalformedFile);
    EXPECT_NE(no_type.error().message().find("\"type\""), std::string::npos);

    const auto no_key = parse_credentials(R"({"type":"service_account","client_email":"a"})", "F");
    ASSERT_FALSE(no_key);
    EXPECT_EQ(credentials_error_kind(no_key.error()), CredentialsError::kMalformedFile);
    EXPECT_NE(no_key.error().message().find("\"private_key\""), std::string::npos);

    const auto no_refresh = parse_credentials(
        R"({"type":"authorized_user","client_id":"c","client_secret":")" + kClientSecret + "\"}",
        "F");
    ASSERT_FALSE(no_refresh);
    EXPECT_NE(no_refresh.error().message().find("\"refresh_token\""), std::string::npos);
    EXPECT_EQ(no_refresh.error().message().find(kClientSecret), std::string::npos);

    const auto number = parse_credentials(R"({"type":"authorized_user","client_id":1,)"
                                          R"("client_secret":"s","refresh_token":"r"})",
                                          "F");
    ASSERT_FALSE(number);
    EXPECT_NE(number.error().message().find("\"client_id\""), std::string::npos);

    const auto other = parse_credentials(R"({"type":"external_account"})", "F");
    ASSERT_FALSE(other);
    EXPECT_EQ(credentials_error_kind(other.error()), CredentialsError::kUnsupportedType);
    EXPECT_NE(other.error().message().find("external_account"), std::string::npos);
}

TEST(CredentialsTest, MissingOrUnreadableFileNamesThePath) {
    const std::string path = test::credentials_pki().dir + "/no-such-key.json";
    const auto missing = load_credentials_file(path, "GOOGLE_APPLICATION_CREDENTIALS");
    ASSERT_FALSE(missing);
    EXPECT_EQ(credentials_error_kind(missing.error()), CredentialsError::kFileUnreadable);
    EXPECT_NE(missing.error().message().find(path), std::string::npos);
    EXPECT_NE(missing.error().message().find("GOOGLE_APPLICATION_CREDENTIALS"), std::string::npos);

    const auto dir = load_credentials_file(test::credentials_pki().dir, "X");
    ASSERT_FALSE(dir);
    EXPECT_EQ(credentials_error_kind(dir.error()), CredentialsError::kFileUnreadable);
}

TEST(CredentialsTest, MalformedFileFromTheVariableIsAClearError) {
    const auto path = test::write_temp_file("malformed.json", "{\"type\": ");
    const auto c = find_default_credentials(env({{"GOOGLE_APPLICATION_CREDENTIALS", path}}));
    ASSERT_FALSE(c);
    EXPECT_EQ(credentials_error_kind(c.error()), CredentialsError::kMalformedFile);
    EXPECT_NE(c.error().message().find(path), std::string::npos);
}

TEST(CredentialsTest, TheVariableWinsOverGcloudsFile) {
    const auto home = fresh_dir("home-both");
    std::filesystem::create_directories(home + "/.config/gcloud");
    test::write_temp_file("home-both/.config/gcloud/application_default_credentials.json",
                          authorized_user_json());
    const auto key = test::write_temp_file("sa-key.json", service_account_json());
    const auto c =
        find_default_credentials(env({{"GOOGLE_APPLICATION_CREDENTIALS", key}, {"HOME", home}}));
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_TRUE(c->is_service_account());
    EXPECT_EQ(c->source, "GOOGLE_APPLICATION_CREDENTIALS (" + key + ")");
}

TEST(CredentialsTest, AMissingFileNamedByTheVariableDoesNotFallBack) {
    const auto home = fresh_dir("home-fallback");
    std::filesystem::create_directories(home + "/.config/gcloud");
    test::write_temp_file("home-fallback/.config/gcloud/application_default_credentials.json",
                          authorized_user_json());
    const auto c = find_default_credentials(
        env({{"GOOGLE_APPLICATION_CREDENTIALS", home + "/typo.json"}, {"HOME", home}}));
    ASSERT_FALSE(c);
    EXPECT_EQ(credentials_error_kind(c.error()), CredentialsError::kFileUnreadable);
}

TEST(CredentialsTest, GcloudsWellKnownFileUnderHomeOrCloudsdkConfig) {
    const auto home = fresh_dir("home-gcloud");
    std::filesystem::create_directories(home + "/.config/gcloud");
    test::write_temp_file("home-gcloud/.config/gcloud/application_default_credentials.json",
                          authorized_user_json());
    const auto from_home = find_default_credentials(env({{"HOME", home}}));
    ASSERT_TRUE(from_home) << from_home.error().message();
    EXPECT_FALSE(from_home->is_service_account());
    EXPECT_NE(from_home->source.find(home + "/.config/gcloud/application_default_credentials.json"),
              std::string::npos);

    const auto config = fresh_dir("cloudsdk");
    test::write_temp_file("cloudsdk/application_default_credentials.json", service_account_json());
    const auto from_config =
        find_default_credentials(env({{"HOME", home}, {"CLOUDSDK_CONFIG", config}}));
    ASSERT_TRUE(from_config) << from_config.error().message();
    EXPECT_TRUE(from_config->is_service_account());
    EXPECT_EQ(well_known_credentials_path(env({{"CLOUDSDK_CONFIG", config}})),
              config + "/application_default_credentials.json");
}

TEST(CredentialsTest, NothingFoundIsOneLineNamingEverythingTried) {
    const auto home = fresh_dir("home-empty");
    const auto c = find_default_credentials(env({{"HOME", home}}));
    ASSERT_FALSE(c);
    EXPECT_EQ(credentials_error_kind(c.error()), CredentialsError::kNoCredentials);
    EXPECT_EQ(c.error().message(),
              "no credentials: GOOGLE_APPLICATION_CREDENTIALS unset, no gcloud credentials at " +
                  home +
                  "/.config/gcloud/application_default_credentials.json (run 'gcloud auth "
                  "application-default login'), no GEMINI_API_KEY/GOOGLE_API_KEY");
    EXPECT_EQ(c.error().message().find('\n'), std::string::npos);
}

TEST(CredentialsTest, VertexWithoutACredentialGetsTheAdcProviderAndTheFilesProject) {
    const auto key = test::write_temp_file("sa-apply.json", service_account_json());
    LiveSessionConfig config;
    config.connection.backend = Backend::kVertex;
    ASSERT_TRUE(apply_default_credentials(config, env({{"GOOGLE_APPLICATION_CREDENTIALS", key}})));
    ASSERT_TRUE(config.connection.token_provider);
    auto* adc = dynamic_cast<AdcTokenProvider*>(config.connection.token_provider.get());
    ASSERT_NE(adc, nullptr);
    EXPECT_EQ(adc->source(), "GOOGLE_APPLICATION_CREDENTIALS (" + key + ")");
    EXPECT_EQ(adc->exchanges(), 0u);  // nothing is fetched until the session asks
    EXPECT_EQ(config.connection.project, "sa-proj");

    // GOOGLE_CLOUD_PROJECT (or the config) names the project: the file does not override it.
    LiveSessionConfig named;
    named.connection.backend = Backend::kVertex;
    ASSERT_TRUE(apply_default_credentials(
        named, env({{"GOOGLE_APPLICATION_CREDENTIALS", key}, {"GOOGLE_CLOUD_PROJECT", "env"}})));
    EXPECT_TRUE(named.connection.project.empty());
    EXPECT_TRUE(named.connection.token_provider);
}

TEST(CredentialsTest, OtherConfigsAreLeftAlone) {
    const auto key = test::write_temp_file("sa-alone.json", service_account_json());
    const auto adc_env = env({{"GOOGLE_APPLICATION_CREDENTIALS", key}});

    LiveSessionConfig gemini;  // Backend::kAuto without GOOGLE_GENAI_USE_VERTEXAI
    ASSERT_TRUE(apply_default_credentials(gemini, adc_env));
    EXPECT_FALSE(gemini.connection.token_provider);

    LiveSessionConfig token;
    token.connection.backend = Backend::kVertex;
    token.connection.access_token = "given";
    ASSERT_TRUE(apply_default_credentials(token, adc_env));
    EXPECT_FALSE(token.connection.token_provider);

    LiveSessionConfig express;
    express.connection.backend = Backend::kVertex;
    ASSERT_TRUE(apply_default_credentials(
        express, env({{"GOOGLE_APPLICATION_CREDENTIALS", key}, {"GOOGLE_API_KEY", "k"}})));
    EXPECT_FALSE(express.connection.token_provider);

    // GOOGLE_GENAI_USE_VERTEXAI picks Vertex AI like the SDKs.
    LiveSessionConfig auto_vertex;
    ASSERT_TRUE(apply_default_credentials(
        auto_vertex,
        env({{"GOOGLE_APPLICATION_CREDENTIALS", key}, {"GOOGLE_GENAI_USE_VERTEXAI", "True"}})));
    EXPECT_TRUE(auto_vertex.connection.token_provider);
}

TEST(CredentialsTest, VertexWithNoCredentialAnywhereFailsUnlessALocalUrlIsGiven) {
    const auto home = fresh_dir("home-none");
    LiveSessionConfig config;
    config.connection.backend = Backend::kVertex;
    const auto status = apply_default_credentials(config, env({{"HOME", home}}));
    ASSERT_FALSE(status);
    EXPECT_EQ(credentials_error_kind(status.error()), CredentialsError::kNoCredentials);

    config.connection.url = "ws://127.0.0.1:9";
    EXPECT_TRUE(apply_default_credentials(config, env({{"HOME", home}})));
    EXPECT_FALSE(config.connection.token_provider);
}

}  // namespace
}  // namespace parley::session

// SPDX-License-Identifier: Apache-2.0
// AdcTokenProvider against a local HTTPS token endpoint (a test CA's certificate for
// oauth2.googleapis.com, the name resolved to 127.0.0.1): the service account's signed JWT and
// gcloud's refresh token are exchanged exactly as Google expects, tokens are cached and refreshed
// before they expire (manual clock), and each endpoint failure is one clear line.
#include "session/adc_token_provider.hpp"

#include <atomic>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "credentials_test_support.hpp"
#include "session/credentials_error.hpp"
#include "session/jwt.hpp"

namespace parley::session {
namespace {

constexpr const char* kTokenHost = "oauth2.googleapis.com";
const std::string kClientSecret = "d-FL95Q19q7MQmFpd7hHD0Ty";
const std::string kRefreshToken = "1//0gTESTREFRESHTOKENabcdefghijklmnop";

const test::RsaKeyPair& key_pair() {
    static const auto pair = test::make_rsa_key();
    return pair;
}

Credentials service_account(std::string token_uri = "https://oauth2.googleapis.com/token") {
    ServiceAccountKey key;
    key.client_email = "live@my-proj.iam.gserviceaccount.com";
    key.private_key = key_pair().private_pem;
    key.private_key_id = "kid-1";
    key.token_uri = std::move(token_uri);
    return {key, "a test service account"};
}

Credentials authorized_user() {
    AuthorizedUser user;
    user.client_id = "123.apps.googleusercontent.com";
    user.client_secret = kClientSecret;
    user.refresh_token = kRefreshToken;
    user.token_uri = std::string(kGoogleTokenUri);
    return {user, "test gcloud credentials"};
}

AdcTokenProviderOptions options_for(const test::LocalTokenEndpoint& endpoint,
                                    Clock* clock = nullptr) {
    AdcTokenProviderOptions options;
    options.endpoint.ca_file = test::credentials_pki().ca_cert;
    options.endpoint.resolve_override =
        transport::ResolveOverride{kTokenHost, "127.0.0.1", endpoint.port()};
    options.clock = clock;
    return options;
}

std::string token_json(const std::string& token, int expires_in = 3599) {
    return nlohmann::json{
        {"access_token", token}, {"expires_in", expires_in}, {"token_type", "Bearer"}}
        .dump();
}

// Checks the request like Google's endpoint would; answers a numbered token when it is right.
test::CannedResponse check_jwt_bearer(const test::RecordedRequest& request, int number) {
    const auto grant = test::form_value(request.body, "grant_type");
    const auto assertion = test::form_value(request.body, "assertion");
    if (grant != "urn:ietf:params:oauth:grant-type:jwt-bearer" || !assertion ||
        !test::verify_rs256(*assertion, key_pair().public_pem)) {
        return {400, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})"};
    }
    const auto first = assertion->find('.');
    const auto second = assertion->find('.', first + 1);
    const auto claims = nlohmann::json::parse(
        base64url_decode(std::string_view(*assertion).substr(first + 1, second - first - 1))
            .value_or("{}"));
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const auto iat = claims.value("iat", std::int64_t{0});
    if (claims.value("iss", "") != "live@my-proj.iam.gserviceaccount.com" ||
        claims.value("aud", "") != "https://oauth2.googleapis.com/token" ||
        claims.value("scope", "") != "https://www.googleapis.com/auth/cloud-platform" ||
        std::abs(iat - now) > 300 || claims.value("exp", std::int64_t{0}) != iat + 3600) {
        return {400, R"({"error":"invalid_grant","error_description":"Invalid JWT claims."})"};
    }
    return {200, token_json("sa-token-" + std::to_string(number))};
}

TEST(AdcTest, ServiceAccountKeyIsExchangedForAnAccessToken) {
    std::atomic<int> count{0};
    test::LocalTokenEndpoint endpoint(
        [&](const test::RecordedRequest& r) { return check_jwt_bearer(r, ++count); });
    AdcTokenProvider provider(service_account(), options_for(endpoint));

    const auto token = provider.access_token();
    ASSERT_TRUE(token) << token.error().message();
    EXPECT_EQ(*token, "sa-token-1");

    const auto requests = endpoint.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].sni, kTokenHost);  // TLS was for the real name, not 127.0.0.1
    EXPECT_EQ(requests[0].host, kTokenHost);
    EXPECT_EQ(requests[0].method, "POST");
    EXPECT_EQ(requests[0].target, "/token");
    EXPECT_EQ(requests[0].content_type, "application/x-www-form-urlencoded");
    EXPECT_EQ(test::parse_form(requests[0].body).size(), 2u);  // grant_type and assertion only
}

TEST(AdcTest, RefreshTokenIsExchangedWithTheClientIdAndSecret) {
    test::LocalTokenEndpoint endpoint([](const test::RecordedRequest& r) {
        if (test::form_value(r.body, "grant_type") == "refresh_token" &&
            test::form_value(r.body, "refresh_token") == kRefreshToken &&
            test::form_value(r.body, "client_id") == "123.apps.googleusercontent.com" &&
            test::form_value(r.body, "client_secret") == kClientSecret) {
            return test::CannedResponse{200, token_json("user-token")};
        }
        return test::CannedResponse{400, R"({"error":"invalid_request"})"};
    });
    AdcTokenProvider provider(authorized_user(), options_for(endpoint));
    const auto token = provider.access_token();
    ASSERT_TRUE(token) << token.error().message();
    EXPECT_EQ(*token, "user-token");
    const auto requests = endpoint.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].target, "/token");
    EXPECT_EQ(requests[0].sni, kTokenHost);
    // "1//..." travels percent-encoded, as a form value must.
    EXPECT_NE(requests[0].body.find("refresh_token=1%2F%2F0g"), std::string::npos);
}

TEST(AdcTest, TheTokenIsCachedThenRefreshedAheadOfExpiryWithoutWaiting) {
    std::atomic<int> count{0};
    test::LocalTokenEndpoint endpoint(
        [&](const test::RecordedRequest& r) { return check_jwt_bearer(r, ++count); });
    ManualClock clock;
    AdcTokenProvider provider(service_account(), options_for(endpoint, &clock));

    EXPECT_EQ(provider.access_token().value_or(""), "sa-token-1");
    clock.advance(std::chrono::minutes(50));
    EXPECT_EQ(provider.access_token().value_or(""), "sa-token-1");  // cached: 59:59 valid
    provider.wait_for_refresh();
    EXPECT_EQ(provider.exchanges(), 1u);

    // Inside the last 5 minutes: the caller gets the still valid token at once, and a
    // background refresh fetches the next one.
    clock.advance(std::chrono::minutes(5) + std::chrono::seconds(30));
    EXPECT_EQ(provider.access_token().value_or(""), "sa-token-1");
    provider.wait_for_refresh();
    EXPECT_EQ(provider.exchanges(), 2u);
    EXPECT_EQ(provider.access_token().value_or(""), "sa-token-2");

    // Past expiry (the machine slept): a new token is fetched before answering.
    clock.advance(std::chrono::hours(2));
    EXPECT_EQ(provider.access_token().value_or(""), "sa-token-3");
    EXPECT_EQ(endpoint.requests().size(), 3u);
}

TEST(AdcTest, AFailedBackgroundRefreshKeepsTheValidTokenAndTriesAgain) {
    std::atomic<int> count{0};
    std::atomic<bool> down{false};
    test::LocalTokenEndpoint endpoint([&](const test::RecordedRequest& r) {
        if (down)
            return test::CannedResponse{503, "<html>unavailable</html>"};
        return check_jwt_bearer(r, ++count);
    });
    ManualClock clock;
    AdcTokenProvider provider(service_account(), options_for(endpoint, &clock));
    ASSERT_EQ(provider.access_token().value_or(""), "sa-token-1");

    down = true;
    clock.advance(std::chrono::minutes(58));
    EXPECT_EQ(provider.access_token().value_or(""), "sa-token-1");
    provider.wait_for_refresh();
    EXPECT_EQ(provider.access_token().value_or(""), "sa-token-1");
    provider.wait_for_refresh();

    down = false;
    EXPECT_EQ(provider.access_token().value_or(""), "sa-token-1");
    provider.wait_for_refresh();
    EXPECT_EQ(provider.access_token().value_or(""), "sa-token-2");

    // Expired while the endpoint is down: the caller gets the endpoint's error.
    down = true;
    clock.advance(std::chrono::hours(3));
    const auto expired = provider.access_token();
    ASSERT_FALSE(expired);
    EXPECT_EQ(credentials_error_kind(expired.error()), CredentialsError::kTokenRefused);
    EXPECT_NE(expired.error().message().find("HTTP 503"), std::string::npos);
}

TEST(AdcTest, ShortLivedTokensAreRefreshedAtHalfTheirLifetime) {
    std::atomic<int> count{0};
    test::LocalTokenEndpoint endpoint([&](const test::RecordedRequest&) {
        return test::CannedResponse{200, token_json("short-" + std::to_string(++count), 120)};
    });
    ManualClock clock;
    AdcTokenProvider provider(service_account(), options_for(endpoint, &clock));
    EXPECT_EQ(provider.access_token().value_or(""), "short-1");
    clock.advance(std::chrono::seconds(59));
    EXPECT_EQ(provider.access_token().value_or(""), "short-1");
    provider.wait_for_refresh();
    EXPECT_EQ(provider.exchanges(), 1u);
    clock.advance(std::chrono::seconds(2));
    EXPECT_EQ(provider.access_token().value_or(""), "short-1");
    provider.wait_for_refresh();
    EXPECT_EQ(provider.access_token().value_or(""), "short-2");
}

TEST(AdcTest, EndpointErrorsAreOneLineWithTheOAuthError) {
    test::LocalTokenEndpoint endpoint([](const test::RecordedRequest& r) {
        if (test::form_value(r.body, "grant_type") == "refresh_token") {
            return test::CannedResponse{
                400,
                R"({"error":"invalid_grant","error_description":"Token has been expired or revoked."})"};
        }
        return test::CannedResponse{
            401,
            R"({"error":"invalid_client","error_description":"The OAuth client was not found.\nSee docs"})"};
    });
    AdcTokenProvider user(authorized_user(), options_for(endpoint));
    const auto revoked = user.access_token();
    ASSERT_FALSE(revoked);
    EXPECT_EQ(credentials_error_kind(revoked.error()), CredentialsError::kTokenRefused);
    EXPECT_EQ(revoked.error().message(),
              "the OAuth token endpoint refused the credentials (renew them: run 'gcloud auth "
              "application-default login' or make a new service-account key): HTTP 400 from "
              "oauth2.googleapis.com:443: invalid_grant (Token has been expired or revoked.)");

    AdcTokenProvider sa(service_account(), options_for(endpoint));
    const auto client = sa.access_token();
    ASSERT_FALSE(client);
    EXPECT_NE(client.error().message().find("HTTP 401"), std::string::npos);
    EXPECT_NE(client.error().message().find("invalid_client"), std::string::npos);
    EXPECT_EQ(client.error().message().find('\n'), std::string::npos);
}

TEST(AdcTest, AnswersWithoutAUsableTokenAreRefused) {
    const std::vector<std::string> bodies = {
        "not json", R"({"token_type":"Bearer"})", R"({"access_token":""})",
        R"({"access_token":"t","expires_in":-5})", R"(["access_token"])"};
    for (const auto& body : bodies) {
        SCOPED_TRACE(body);
        test::LocalTokenEndpoint endpoint([&](const test::RecordedRequest&) {
            return test::CannedResponse{200, body};
        });
        AdcTokenProvider provider(service_account(), options_for(endpoint));
        const auto token = provider.access_token();
        ASSERT_FALSE(token);
        EXPECT_EQ(credentials_error_kind(token.error()), CredentialsError::kBadTokenResponse)
            << token.error().message();
    }
}

TEST(AdcTest, AnEndpointWhoseCertificateNamesAnotherHostIsRefused) {
    test::LocalTokenEndpoint endpoint(
        [](const test::RecordedRequest&) {
            return test::CannedResponse{200, token_json("never")};
        },
        /*wrong_host_cert=*/true);
    AdcTokenProvider provider(authorized_user(), options_for(endpoint));
    const auto token = provider.access_token();
    ASSERT_FALSE(token);
    EXPECT_EQ(credentials_error_kind(token.error()), CredentialsError::kTokenEndpointUnreachable);
    EXPECT_NE(token.error().message().find("oauth2.googleapis.com"), std::string::npos);
    EXPECT_TRUE(endpoint.requests().empty());  // the secret never went out
}

TEST(AdcTest, AnUntrustedEndpointIsRefused) {
    test::LocalTokenEndpoint endpoint([](const test::RecordedRequest&) {
        return test::CannedResponse{200, token_json("never")};
    });
    auto options = options_for(endpoint);
    options.endpoint.ca_file.clear();  // the system store does not know the test CA
    AdcTokenProvider provider(authorized_user(), options);
    const auto token = provider.access_token();
    ASSERT_FALSE(token);
    EXPECT_EQ(credentials_error_kind(token.error()), CredentialsError::kTokenEndpointUnreachable);
    EXPECT_TRUE(endpoint.requests().empty());
}

TEST(AdcTest, APlainHttpTokenUriIsRefusedBeforeAnythingIsSent) {
    AdcTokenProvider provider(service_account("http://oauth2.googleapis.com/token"));
    const auto token = provider.access_token();
    ASSERT_FALSE(token);
    EXPECT_EQ(credentials_error_kind(token.error()), CredentialsError::kInsecureTokenUri);
    EXPECT_NE(token.error().message().find("a test service account"), std::string::npos);
}

TEST(AdcTest, ABadPrivateKeyIsReportedBeforeAnythingIsSent) {
    auto credentials = service_account();
    std::get<ServiceAccountKey>(credentials.key).private_key = "not a key";
    AdcTokenProvider provider(credentials);
    const auto token = provider.access_token();
    ASSERT_FALSE(token);
    EXPECT_EQ(credentials_error_kind(token.error()), CredentialsError::kInvalidPrivateKey);
}

TEST(AdcTest, FormEncodingEscapesEverythingButUnreservedCharacters) {
    EXPECT_EQ(form_encode("a-Z_0.~"), "a-Z_0.~");
    EXPECT_EQ(form_encode("1//x y+z&=:"), "1%2F%2Fx+y%2Bz%26%3D%3A");
}

}  // namespace
}  // namespace parley::session

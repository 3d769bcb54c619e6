// SPDX-License-Identifier: Apache-2.0
// JWT pieces against RFC 4648 vectors and OpenSSL verification with a key made in the test: the
// service account's assertion carries the claims Google's token endpoint checks.
#include "session/jwt.hpp"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "credentials_test_support.hpp"
#include "session/credentials_error.hpp"

namespace parley::session {
namespace {

nlohmann::json decode_part(const std::string& jwt, int index) {
    std::size_t start = 0;
    for (int i = 0; i < index; ++i) start = jwt.find('.', start) + 1;
    const auto end = jwt.find('.', start);
    const auto bytes = base64url_decode(std::string_view(jwt).substr(start, end - start));
    EXPECT_TRUE(bytes.has_value());
    return nlohmann::json::parse(bytes.value_or("null"));
}

const test::RsaKeyPair& key_pair() {
    static const auto pair = test::make_rsa_key();
    return pair;
}

TEST(JwtTest, Base64UrlMatchesRfc4648WithoutPadding) {
    EXPECT_EQ(base64url_encode(""), "");
    EXPECT_EQ(base64url_encode("f"), "Zg");
    EXPECT_EQ(base64url_encode("fo"), "Zm8");
    EXPECT_EQ(base64url_encode("foo"), "Zm9v");
    EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
    EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
    EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");  // the URL-safe characters
    for (const std::string text : {"", "a", "ab", "abc", "\x00\xff\x10 binary"}) {
        EXPECT_EQ(base64url_decode(base64url_encode(text)), text);
    }
    EXPECT_FALSE(base64url_decode("Zm9v+g"));  // '+' is not base64url
    EXPECT_FALSE(base64url_decode("Z"));       // no byte has one character
}

TEST(JwtTest, SignatureVerifiesWithThePublicKeyAndBreaksWhenTheClaimsChange) {
    const auto jwt = sign_jwt_rs256(R"({"alg":"RS256","typ":"JWT"})", R"({"iss":"a@b"})",
                                    key_pair().private_pem);
    ASSERT_TRUE(jwt) << jwt.error().message();
    EXPECT_EQ(std::count(jwt->begin(), jwt->end(), '.'), 2);
    EXPECT_TRUE(test::verify_rs256(*jwt, key_pair().public_pem));

    std::string forged = *jwt;
    const auto first_dot = forged.find('.');
    const auto second_dot = forged.find('.', first_dot + 1);
    forged.replace(first_dot + 1, second_dot - first_dot - 1, base64url_encode(R"({"iss":"x@b"})"));
    EXPECT_FALSE(test::verify_rs256(forged, key_pair().public_pem));

    const auto other = test::make_rsa_key();
    EXPECT_FALSE(test::verify_rs256(*jwt, other.public_pem));
}

TEST(JwtTest, KeysThatAreNotRsaPemAreRefusedClearly) {
    const auto garbage = sign_jwt_rs256("{}", "{}", "-----BEGIN PRIVATE KEY-----\nnope\n");
    ASSERT_FALSE(garbage);
    EXPECT_EQ(credentials_error_kind(garbage.error()), CredentialsError::kInvalidPrivateKey);
    EXPECT_NE(garbage.error().message().find("RSA private key in PEM"), std::string::npos);

    // An EC key (like the test PKI's) is a valid PEM key but cannot sign RS256.
    std::ifstream in(test::credentials_pki().server_key);
    const std::string ec_pem((std::istreambuf_iterator<char>(in)), {});
    ASSERT_FALSE(ec_pem.empty());
    const auto ec = sign_jwt_rs256("{}", "{}", ec_pem);
    ASSERT_FALSE(ec);
    EXPECT_EQ(credentials_error_kind(ec.error()), CredentialsError::kInvalidPrivateKey);
}

TEST(JwtTest, ServiceAccountAssertionCarriesGooglesClaims) {
    ServiceAccountKey key;
    key.client_email = "live@my-proj.iam.gserviceaccount.com";
    key.private_key = key_pair().private_pem;
    key.private_key_id = "kid-123";
    key.token_uri = "https://oauth2.googleapis.com/token";
    const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    const auto jwt = make_service_account_assertion(key, kCloudPlatformScope, now);
    ASSERT_TRUE(jwt) << jwt.error().message();
    EXPECT_TRUE(test::verify_rs256(*jwt, key_pair().public_pem));

    const auto header = decode_part(*jwt, 0);
    EXPECT_EQ(header.at("alg"), "RS256");
    EXPECT_EQ(header.at("typ"), "JWT");
    EXPECT_EQ(header.at("kid"), "kid-123");
    const auto claims = decode_part(*jwt, 1);
    EXPECT_EQ(claims.at("iss"), key.client_email);
    EXPECT_EQ(claims.at("scope"), "https://www.googleapis.com/auth/cloud-platform");
    EXPECT_EQ(claims.at("aud"), "https://oauth2.googleapis.com/token");
    EXPECT_EQ(claims.at("iat"), 1'800'000'000);
    EXPECT_EQ(claims.at("exp"), 1'800'003'600);
    EXPECT_EQ(jwt->find("PRIVATE KEY"), std::string::npos);
}

TEST(JwtTest, AssertionWithoutAKeyIdHasNoKid) {
    ServiceAccountKey key;
    key.client_email = "a@b";
    key.private_key = key_pair().private_pem;
    const auto jwt = make_service_account_assertion(key, "scope", std::chrono::system_clock::now());
    ASSERT_TRUE(jwt);
    EXPECT_FALSE(decode_part(*jwt, 0).contains("kid"));
    EXPECT_EQ(decode_part(*jwt, 1).at("aud"), std::string(kGoogleTokenUri));
}

}  // namespace
}  // namespace parley::session

// SPDX-License-Identifier: Apache-2.0
// JWT for OAuth's jwt-bearer grant (RFC 7519, RFC 7523): base64url, RS256 signing with OpenSSL,
// and the assertion a service account exchanges for an access token. Called by the ADC token
// exchange on work/main. No state; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "session/credentials.hpp"

namespace parley::session {

// Lifetime of the assertion (Google's maximum).
inline constexpr std::chrono::seconds kAssertionLifetime{3600};

// Base64url without padding (RFC 7515 §2).
[[nodiscard]] std::string base64url_encode(std::string_view bytes);
// The inverse; nullopt on a character outside the alphabet or an impossible length.
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

// "<header>.<claims>.<signature>", each base64url: the JSON texts as given, signed with
// RSASSA-PKCS1-v1_5 SHA-256 by `private_key_pem` (PKCS#8 or PKCS#1 PEM). Errors:
// kInvalidPrivateKey (not PEM, not RSA), kSigningFailed.
[[nodiscard]] Result<std::string> sign_jwt_rs256(std::string_view header_json,
                                                 std::string_view claims_json,
                                                 std::string_view private_key_pem);

// The service account's signed assertion: header {alg RS256, typ JWT, kid private_key_id},
// claims {iss client_email, scope, aud token_uri, iat now, exp now + kAssertionLifetime}.
[[nodiscard]] Result<std::string> make_service_account_assertion(
    const ServiceAccountKey& key, std::string_view scope,
    std::chrono::system_clock::time_point now);

}  // namespace parley::session

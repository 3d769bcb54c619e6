// SPDX-License-Identifier: Apache-2.0
// exchange_for_access_token: one OAuth 2.0 token request for Application Default Credentials —
// a service account's signed JWT (jwt-bearer grant) or a gcloud user's refresh token
// (refresh_token grant), form-encoded POST to the credentials' token_uri over verified TLS.
// Blocking: called by AdcTokenProvider on main or its refresh thread, never on io.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "session/credentials.hpp"
#include "transport/http_client.hpp"
#include "transport/url.hpp"

namespace parley::session {

struct TokenEndpointOptions {
    std::string scope = std::string(kCloudPlatformScope);  // service accounts only
    std::chrono::milliseconds timeout{10'000};             // connect, TLS, each wait for the answer
    std::string ca_file{};                                 // PEM bundle; empty = the system store
    std::optional<transport::ResolveOverride> resolve_override{};  // tests only
};

struct AccessToken {
    std::string token{};  // a secret: never log it
    std::chrono::seconds expires_in{0};
};

// Asks the credentials' token endpoint for an access token; `now` is the JWT's iat. Errors:
// kInsecureTokenUri, kInvalidPrivateKey / kSigningFailed (service account),
// kTokenEndpointUnreachable (with the transport's reason), kTokenRefused (with the HTTP status
// and the endpoint's error and error_description), kBadTokenResponse. Uses `client` for the
// request, so another thread can cancel() it.
[[nodiscard]] Result<AccessToken> exchange_for_access_token(
    const Credentials& credentials, const TokenEndpointOptions& options,
    std::chrono::system_clock::time_point now, transport::HttpClient& client);

// application/x-www-form-urlencoded encoding of one value (RFC 1866 §8.2.1: space as '+').
[[nodiscard]] std::string form_encode(std::string_view value);

}  // namespace parley::session

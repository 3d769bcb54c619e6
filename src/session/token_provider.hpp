// SPDX-License-Identifier: Apache-2.0
// TokenProvider: where a Vertex AI session gets its OAuth access token (`Authorization: Bearer`).
// StaticTokenProvider hands out one token given by the caller; an ADC / service-account provider
// plugs in behind the same interface later. Called by LiveSession on io at each (re)connect.
#pragma once

#include <string>

#include "base/result.hpp"

namespace parley::session {

class TokenProvider {
public:
    virtual ~TokenProvider() = default;
    // A currently valid access token. Called on io: must not block (a provider that needs the
    // network refreshes ahead of time on its own thread and returns its cached token). Errors:
    // any error_code whose message says what to fix; it is reported as kTokenProviderFailed.
    [[nodiscard]] virtual Result<std::string> access_token() = 0;
};

// Always returns the token it was given. Thread-safe (immutable).
class StaticTokenProvider final : public TokenProvider {
public:
    explicit StaticTokenProvider(std::string token) : token_(std::move(token)) {}
    [[nodiscard]] Result<std::string> access_token() override { return token_; }

private:
    std::string token_;
};

}  // namespace parley::session

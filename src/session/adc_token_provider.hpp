// SPDX-License-Identifier: Apache-2.0
// AdcTokenProvider: the TokenProvider of Application Default Credentials. It exchanges a
// service-account key or a gcloud refresh token for an access token, caches it, and refreshes it
// ahead of expiry on its own thread, so LiveSession's call on io returns the cached token without
// waiting. apply_default_credentials() picks it for a Vertex AI config that has no credential.
// Thread-safe; the first token (and one past expiry) is fetched on the calling thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "session/adc_token_exchange.hpp"
#include "session/credentials.hpp"
#include "session/endpoint.hpp"
#include "session/live_session_config.hpp"
#include "session/token_provider.hpp"
#include "transport/http_client.hpp"

namespace parley::session {

struct AdcTokenProviderOptions {
    TokenEndpointOptions endpoint{};
    Clock* clock = nullptr;  // decides when a token is stale; null = Clock::steady()
    // A cached token is refreshed (in the background) this long before it expires; at most half
    // its lifetime.
    std::chrono::seconds refresh_early{300};
};

class AdcTokenProvider final : public TokenProvider {
public:
    AdcTokenProvider(Credentials credentials, AdcTokenProviderOptions options = {});
    // Cancels a refresh in flight and waits for the refresh thread.
    ~AdcTokenProvider() override;
    AdcTokenProvider(const AdcTokenProvider&) = delete;
    AdcTokenProvider& operator=(const AdcTokenProvider&) = delete;

    // The cached token while it is valid; inside the refresh_early window it also starts a
    // background refresh. With no valid token it blocks for one exchange (bounded by the
    // endpoint timeout). Errors: those of exchange_for_access_token().
    [[nodiscard]] Result<std::string> access_token() override;
    // Exchanges the credentials for a new token now, on the calling thread (main or work).
    [[nodiscard]] Status refresh();
    // Waits until no background refresh is running (tests, shutdown).
    void wait_for_refresh();

    // Where the credentials came from, for messages (no secret).
    [[nodiscard]] const std::string& source() const { return credentials_.source; }
    // How many token requests were sent so far.
    [[nodiscard]] std::uint64_t exchanges() const;

private:
    Status exchange(bool only_if_stale);
    void start_background_refresh();  // state_mutex_ held

    const Credentials credentials_;
    const AdcTokenProviderOptions options_;
    Clock& clock_;
    transport::HttpClient client_;  // used under refresh_mutex_; cancel() from any thread
    std::mutex refresh_mutex_;      // one exchange at a time

    mutable std::mutex state_mutex_;
    std::condition_variable refreshed_;
    std::string token_;  // guarded by state_mutex_, and the fields below too
    Clock::TimePoint expiry_{};
    Clock::TimePoint refresh_at_{};
    std::uint64_t exchanges_ = 0;
    bool refreshing_ = false;
    bool stopping_ = false;
    std::thread worker_;
};

// Finds Application Default Credentials (find_default_credentials) and makes their provider.
[[nodiscard]] Result<std::shared_ptr<AdcTokenProvider>> make_default_token_provider(
    const Environment& environment, AdcTokenProviderOptions options = {});

// For a config that will use Vertex AI with no access token, token provider or API key (config
// or environment): sets connection.token_provider from Application Default Credentials, and
// connection.project from the credentials file when neither the config nor
// GOOGLE_CLOUD_PROJECT names one. Anything else is left as is. With an explicit connection.url
// (a local server) a missing ADC is not an error. Errors: those of find_default_credentials().
// LiveSession::connect(config) is where it belongs, before resolve_endpoint().
[[nodiscard]] Status apply_default_credentials(LiveSessionConfig& config,
                                               const Environment& environment,
                                               AdcTokenProviderOptions options = {});

}  // namespace parley::session

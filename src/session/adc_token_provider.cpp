// SPDX-License-Identifier: Apache-2.0
#include "session/adc_token_provider.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "session/credentials_error.hpp"

namespace parley::session {

AdcTokenProvider::AdcTokenProvider(Credentials credentials, AdcTokenProviderOptions options)
    : credentials_(std::move(credentials)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : Clock::steady()) {}

AdcTokenProvider::~AdcTokenProvider() {
    {
        std::lock_guard lock(state_mutex_);
        stopping_ = true;
    }
    client_.cancel();
    if (worker_.joinable())
        worker_.join();
}

Result<std::string> AdcTokenProvider::access_token() {
    {
        std::lock_guard lock(state_mutex_);
        const auto now = clock_.now();
        if (!token_.empty() && now < expiry_) {
            if (now >= refresh_at_)
                start_background_refresh();
            return token_;
        }
    }
    if (auto status = exchange(/*only_if_stale=*/true); !status)
        return fail(status.error());
    std::lock_guard lock(state_mutex_);
    return token_;
}

Status AdcTokenProvider::refresh() {
    return exchange(/*only_if_stale=*/false);
}

void AdcTokenProvider::wait_for_refresh() {
    std::unique_lock lock(state_mutex_);
    refreshed_.wait(lock, [this] { return !refreshing_; });
}

std::uint64_t AdcTokenProvider::exchanges() const {
    std::lock_guard lock(state_mutex_);
    return exchanges_;
}

void AdcTokenProvider::start_background_refresh() {
    if (refreshing_ || stopping_)
        return;
    refreshing_ = true;
    if (worker_.joinable())
        worker_.join();  // the previous refresh has finished: refreshing_ was false
    worker_ = std::thread([this] {
        if (auto status = exchange(/*only_if_stale=*/true); !status) {
            log::warn(
                "credentials: refreshing the access token failed (the current one is "
                "used until it expires): {}",
                status.error().message());
        }
        std::lock_guard lock(state_mutex_);
        refreshing_ = false;
        refreshed_.notify_all();
    });
}

Status AdcTokenProvider::exchange(bool only_if_stale) {
    std::lock_guard serial(refresh_mutex_);
    Clock::TimePoint started;
    {
        std::lock_guard lock(state_mutex_);
        if (stopping_) {
            return fail(make_credentials_error(CredentialsError::kTokenEndpointUnreachable,
                                               "the token provider is shutting down"));
        }
        started = clock_.now();
        // Another caller refreshed while this one waited for its turn.
        if (only_if_stale && !token_.empty() && started < refresh_at_)
            return {};
        ++exchanges_;
    }
    auto token = exchange_for_access_token(credentials_, options_.endpoint,
                                           std::chrono::system_clock::now(), client_);
    if (!token) {
        log::debug("credentials: token request for {} failed", credentials_.source);
        return fail(token.error());
    }
    const auto lifetime = std::chrono::duration_cast<Clock::Duration>(token->expires_in);
    const auto early = std::min<Clock::Duration>(
        std::chrono::duration_cast<Clock::Duration>(options_.refresh_early), lifetime / 2);
    std::lock_guard lock(state_mutex_);
    token_ = std::move(token->token);
    expiry_ = started + lifetime;
    refresh_at_ = expiry_ - early;
    log::debug("credentials: got an access token from {} valid for {} s", credentials_.source,
               token->expires_in.count());
    return {};
}

Result<std::shared_ptr<AdcTokenProvider>> make_default_token_provider(
    const Environment& environment, AdcTokenProviderOptions options) {
    auto credentials = find_default_credentials(environment);
    if (!credentials)
        return fail(credentials.error());
    return std::make_shared<AdcTokenProvider>(std::move(*credentials), std::move(options));
}

Status apply_default_credentials(LiveSessionConfig& config, const Environment& environment,
                                 AdcTokenProviderOptions options) {
    ConnectionConfig& connection = config.connection;
    if (choose_backend(connection, environment) != Backend::kVertex ||
        !connection.access_token.empty() || connection.token_provider ||
        !connection.api_key.empty() || !environment.get("GEMINI_API_KEY").empty() ||
        !environment.get("GOOGLE_API_KEY").empty()) {
        return {};
    }
    auto credentials = find_default_credentials(environment);
    if (!credentials) {
        if (!connection.url.empty() &&
            credentials_error_kind(credentials.error()) == CredentialsError::kNoCredentials) {
            return {};
        }
        return fail(credentials.error());
    }
    if (connection.project.empty() && environment.get("GOOGLE_CLOUD_PROJECT").empty())
        connection.project = credentials->project_id();
    log::debug("credentials: Vertex AI uses {}", credentials->source);
    connection.token_provider =
        std::make_shared<AdcTokenProvider>(std::move(*credentials), std::move(options));
    return {};
}

}  // namespace parley::session

// SPDX-License-Identifier: Apache-2.0
// The credentials error categories and the interned table behind detailed codes.
#include "session/credentials_error.hpp"

#include <string>

#include "base/interned_details.hpp"

namespace parley::session {
namespace {

const char* base_message(CredentialsError e) {
    switch (e) {
        case CredentialsError::kNoCredentials:
            return "no credentials";
        case CredentialsError::kFileUnreadable:
            return "cannot read the credentials file (check the path and its permissions)";
        case CredentialsError::kMalformedFile:
            return "the credentials file is not a valid key file (download the JSON key again, or "
                   "run 'gcloud auth application-default login')";
        case CredentialsError::kUnsupportedType:
            return "unsupported credentials type (use a service-account key or gcloud's "
                   "application default credentials)";
        case CredentialsError::kInvalidPrivateKey:
            return "the service account's private_key is not an RSA private key in PEM (download "
                   "a new JSON key)";
        case CredentialsError::kSigningFailed:
            return "could not sign the service account's token request";
        case CredentialsError::kInsecureTokenUri:
            return "refusing to send credentials to a token endpoint that is not https://";
        case CredentialsError::kTokenEndpointUnreachable:
            return "cannot reach the OAuth token endpoint (check the network)";
        case CredentialsError::kTokenRefused:
            return "the OAuth token endpoint refused the credentials (renew them: run 'gcloud "
                   "auth application-default login' or make a new service-account key)";
        case CredentialsError::kBadTokenResponse:
            return "the OAuth token endpoint's answer holds no access token";
    }
    return "unknown credentials error";
}

class CredentialsCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "parley.credentials"; }
    std::string message(int ev) const override {
        return base_message(static_cast<CredentialsError>(ev));
    }
};

struct Entry {
    CredentialsError kind;
    std::string message;
};

const InternedDetailCategory<Entry>& detail_category() {
    static const InternedDetailCategory<Entry> category("parley.credentials.detail",
                                                        "unknown credentials error", 1024);
    return category;
}

}  // namespace

const std::error_category& credentials_category() noexcept {
    static const CredentialsCategory category;
    return category;
}

std::error_code make_error_code(CredentialsError e) noexcept {
    return {static_cast<int>(e), credentials_category()};
}

std::error_code make_credentials_error(CredentialsError kind, std::string_view detail) {
    if (detail.empty())
        return make_error_code(kind);
    std::string message = std::string(base_message(kind)) + ": " + std::string(detail);
    auto ec = detail_category().make(message, Entry{kind, message});
    return ec ? *ec : make_error_code(kind);
}

CredentialsError credentials_error_kind(const std::error_code& ec) noexcept {
    if (ec.category() == credentials_category())
        return static_cast<CredentialsError>(ec.value());
    if (const auto entry = detail_category().find(ec))
        return entry->kind;
    return CredentialsError{};
}

std::error_code with_credentials_source(const std::error_code& ec, std::string_view source) {
    const auto kind = credentials_error_kind(ec);
    if (kind == CredentialsError{} || source.empty())
        return ec;
    const std::string message = ec.message();
    if (message.find(source) != std::string::npos)
        return ec;
    const std::string prefix = std::string(base_message(kind)) + ": ";
    std::string detail(source);
    if (message.starts_with(prefix))
        detail += ": " + message.substr(prefix.size());
    return make_credentials_error(kind, detail);
}

}  // namespace parley::session

// SPDX-License-Identifier: Apache-2.0
// Credentials: Google Application Default Credentials as the official SDKs find them — the JSON
// file named by GOOGLE_APPLICATION_CREDENTIALS, else gcloud's well-known
// application_default_credentials.json — parsed into a service-account key or a gcloud user's
// refresh token. Called on the caller's thread (main or work) before a Vertex AI session; reads
// files, no network.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "base/result.hpp"
#include "session/endpoint.hpp"

namespace parley::session {

// The token endpoint the SDKs use when a file names none.
inline constexpr std::string_view kGoogleTokenUri = "https://oauth2.googleapis.com/token";
// The scope a Vertex AI access token needs.
inline constexpr std::string_view kCloudPlatformScope =
    "https://www.googleapis.com/auth/cloud-platform";

// `type: service_account`: a key made in the Cloud console (IAM > Service accounts > Keys).
struct ServiceAccountKey {
    std::string client_email{};
    std::string private_key{};  // PEM, "-----BEGIN PRIVATE KEY-----..."; a secret
    std::string private_key_id{};
    std::string token_uri{};  // the key's own, else kGoogleTokenUri
    std::string project_id{};
};

// `type: authorized_user`: what `gcloud auth application-default login` writes.
struct AuthorizedUser {
    std::string client_id{};
    std::string client_secret{};  // a secret
    std::string refresh_token{};  // a secret
    std::string token_uri{};      // kGoogleTokenUri unless the file names one
    std::string quota_project_id{};
};

struct Credentials {
    std::variant<ServiceAccountKey, AuthorizedUser> key{};
    // Where they came from, for messages: e.g. "GOOGLE_APPLICATION_CREDENTIALS (/keys/sa.json)".
    std::string source{};

    [[nodiscard]] const std::string& token_uri() const;
    // The project the file names (project_id or quota_project_id), or "".
    [[nodiscard]] const std::string& project_id() const;
    [[nodiscard]] bool is_service_account() const {
        return std::holds_alternative<ServiceAccountKey>(key);
    }
};

// Parses the text of a credentials file. `source` is kept for messages. Errors:
// kMalformedFile (not JSON, a required field missing or not a string), kUnsupportedType.
[[nodiscard]] Result<Credentials> parse_credentials(std::string_view json, std::string source);

// Reads and parses `path`. Errors: kFileUnreadable, and those of parse_credentials; each names
// the path, never the file's contents.
[[nodiscard]] Result<Credentials> load_credentials_file(const std::string& path,
                                                        std::string_view source);

// gcloud's well-known file: $CLOUDSDK_CONFIG/application_default_credentials.json, else
// $HOME/.config/gcloud/application_default_credentials.json ("" when neither variable is set).
[[nodiscard]] std::string well_known_credentials_path(const Environment& environment);

// Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS if set (a missing file there is
// an error, as in the SDKs), else the well-known file if it exists. Errors: kNoCredentials with a
// line naming everything tried ("GOOGLE_APPLICATION_CREDENTIALS unset, no gcloud credentials at
// ..., no GEMINI_API_KEY/GOOGLE_API_KEY"), and those of load_credentials_file.
[[nodiscard]] Result<Credentials> find_default_credentials(const Environment& environment);

}  // namespace parley::session

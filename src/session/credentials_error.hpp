// SPDX-License-Identifier: Apache-2.0
// CredentialsError: the failures of finding, reading and exchanging Google credentials
// (Application Default Credentials, service-account keys, gcloud refresh tokens), as a
// std::error_code enum with its category. make_credentials_error() attaches a one-line detail
// (which files were tried, the token endpoint's error code); credentials_error_kind() recovers the
// enum from a plain or detailed code. Messages never hold a secret. Any context.
#pragma once

#include <string_view>
#include <system_error>

namespace parley::session {

enum class CredentialsError {
    kNoCredentials = 1,         // no credentials file and no API key anywhere the SDKs look
    kFileUnreadable,            // the credentials file named or found cannot be read
    kMalformedFile,             // the credentials file is not JSON or lacks a required field
    kUnsupportedType,           // a credentials "type" other than service_account / authorized_user
    kInvalidPrivateKey,         // the service account's private_key is not an RSA key in PEM
    kSigningFailed,             // OpenSSL could not sign the JWT
    kInsecureTokenUri,          // the token endpoint is not https:// (nor a loopback http:// one)
    kTokenEndpointUnreachable,  // connecting to or talking with the token endpoint failed
    kTokenRefused,      // the token endpoint answered with an OAuth error (invalid_grant, ...)
    kBadTokenResponse,  // the token endpoint's answer holds no usable access_token
};

[[nodiscard]] const std::error_category& credentials_category() noexcept;
[[nodiscard]] std::error_code make_error_code(CredentialsError e) noexcept;

// An error of `kind` whose message() is the kind's text followed by ": " and `detail` (one line,
// no secret: callers pass paths and OAuth error codes). Identical texts share one code; after
// many distinct texts the plain code is returned.
[[nodiscard]] std::error_code make_credentials_error(CredentialsError kind,
                                                     std::string_view detail);

// The CredentialsError behind a code (plain or detailed); CredentialsError{} (0) otherwise.
[[nodiscard]] CredentialsError credentials_error_kind(const std::error_code& ec) noexcept;

// `ec` with the credentials' source named in its detail ("<kind text>: <source>: <detail>"),
// so a failed exchange says which credentials were tried; unchanged when `ec` is not a
// credentials error or already names `source`.
[[nodiscard]] std::error_code with_credentials_source(const std::error_code& ec,
                                                      std::string_view source);

}  // namespace parley::session

template <>
struct std::is_error_code_enum<parley::session::CredentialsError> : std::true_type {};

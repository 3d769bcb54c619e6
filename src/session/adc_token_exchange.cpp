// SPDX-License-Identifier: Apache-2.0
#include "session/adc_token_exchange.hpp"

#include <vector>

#include <nlohmann/json.hpp>

#include "base/log.hpp"
#include "session/credentials_error.hpp"
#include "session/endpoint.hpp"
#include "session/jwt.hpp"

namespace parley::session {
namespace {

constexpr std::string_view kJwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
// How much of the endpoint's error_description goes into a message.
constexpr std::size_t kMaxDescriptionChars = 160;
// Tokens live an hour; a far larger expires_in is clamped (it is only a refresh hint).
constexpr std::int64_t kMaxLifetimeS = 24 * 3600;

// The secrets a request carried, raw and form-encoded: an endpoint that echoes its input must
// not put them into our messages.
std::vector<std::string> secrets_of(const Credentials& credentials, const std::string& body) {
    std::vector<std::string> out;
    if (const auto* user = std::get_if<AuthorizedUser>(&credentials.key)) {
        for (const auto* secret : {&user->client_secret, &user->refresh_token}) {
            out.push_back(*secret);
            out.push_back(form_encode(*secret));
        }
    } else if (const auto at = body.find("assertion="); at != std::string::npos) {
        out.push_back(body.substr(at + std::string_view("assertion=").size()));
    }
    std::erase_if(out, [](const std::string& s) { return s.size() < 4; });
    return out;
}

// Printable ASCII only, secrets masked, bounded, and redacted: text from the network goes into
// one line.
std::string sanitize(std::string_view text, std::size_t max_chars,
                     const std::vector<std::string>& secrets = {}) {
    std::string clean(text);
    for (const auto& secret : secrets) {
        for (auto at = clean.find(secret); at != std::string::npos; at = clean.find(secret, at))
            clean.replace(at, secret.size(), "<redacted>");
    }
    std::string out;
    for (const char c : std::string_view(clean).substr(0, max_chars)) {
        const auto u = static_cast<unsigned char>(c);
        out += (u >= 0x20 && u < 0x7f) ? c : ' ';
    }
    if (clean.size() > max_chars)
        out += "...";
    return log::redact(out);
}

std::string request_body(const Credentials& credentials, const TokenEndpointOptions& options,
                         std::chrono::system_clock::time_point now, std::error_code& error) {
    if (const auto* sa = std::get_if<ServiceAccountKey>(&credentials.key)) {
        auto assertion = make_service_account_assertion(*sa, options.scope, now);
        if (!assertion) {
            error = assertion.error();
            return {};
        }
        return "grant_type=" + form_encode(kJwtBearerGrant) + "&assertion=" + *assertion;
    }
    const auto& user = std::get<AuthorizedUser>(credentials.key);
    return "grant_type=refresh_token&client_id=" + form_encode(user.client_id) +
           "&client_secret=" + form_encode(user.client_secret) +
           "&refresh_token=" + form_encode(user.refresh_token);
}

Result<AccessToken> parse_answer(const transport::HttpResponse& response, const std::string& host,
                                 const std::vector<std::string>& secrets) {
    const auto doc = nlohmann::json::parse(response.body, nullptr, false);
    const bool object = !doc.is_discarded() && doc.is_object();
    if (response.status != 200) {
        std::string detail = "HTTP " + std::to_string(response.status) + " from " + host;
        if (object) {
            if (const auto it = doc.find("error"); it != doc.end() && it->is_string())
                detail += ": " + sanitize(it->get<std::string>(), 60, secrets);
            if (const auto it = doc.find("error_description"); it != doc.end() && it->is_string()) {
                detail +=
                    " (" + sanitize(it->get<std::string>(), kMaxDescriptionChars, secrets) + ")";
            }
        }
        return fail(make_credentials_error(CredentialsError::kTokenRefused, detail));
    }
    if (!object) {
        return fail(make_credentials_error(CredentialsError::kBadTokenResponse,
                                           "the answer from " + host + " is not JSON"));
    }
    const auto token = doc.find("access_token");
    if (token == doc.end() || !token->is_string() || token->get<std::string>().empty()) {
        return fail(make_credentials_error(CredentialsError::kBadTokenResponse,
                                           "no access_token in the answer from " + host));
    }
    AccessToken out;
    out.token = token->get<std::string>();
    out.expires_in = std::chrono::seconds(3600);  // Google's lifetime when the field is absent
    if (const auto it = doc.find("expires_in"); it != doc.end()) {
        const std::int64_t seconds = it->is_number_integer() ? it->get<std::int64_t>() : 0;
        if (seconds <= 0) {
            return fail(make_credentials_error(CredentialsError::kBadTokenResponse,
                                               "a bad expires_in in the answer from " + host));
        }
        out.expires_in = std::chrono::seconds(std::min<std::int64_t>(seconds, kMaxLifetimeS));
    }
    return out;
}

}  // namespace

std::string form_encode(std::string_view value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 0x0F];
        }
    }
    return out;
}

Result<AccessToken> exchange_for_access_token(const Credentials& credentials,
                                              const TokenEndpointOptions& options,
                                              std::chrono::system_clock::time_point now,
                                              transport::HttpClient& client) {
    const std::string& token_uri = credentials.token_uri();
    const auto url = transport::parse_url(token_uri);
    if (!url ||
        (url->scheme != "https" && !(url->scheme == "http" && is_loopback_host(url->host)))) {
        return fail(make_credentials_error(CredentialsError::kInsecureTokenUri,
                                           "the token_uri in " + credentials.source));
    }
    std::error_code error;
    transport::HttpRequest request;
    request.method = "POST";
    request.url = token_uri;
    request.body = request_body(credentials, options, now, error);
    if (error)
        return fail(error);
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                       {"Accept", "application/json"}};
    request.timeout = options.timeout;
    request.ca_file = options.ca_file;
    request.resolve_override = options.resolve_override;
    request.max_body_bytes = std::size_t{1} << 20;

    const auto response = client.request(request);
    if (!response) {
        return fail(make_credentials_error(CredentialsError::kTokenEndpointUnreachable,
                                           sanitize(response.error().message(), 300)));
    }
    return parse_answer(*response, url->authority(), secrets_of(credentials, request.body));
}

}  // namespace parley::session

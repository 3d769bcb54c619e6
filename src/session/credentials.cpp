// SPDX-License-Identifier: Apache-2.0
#include "session/credentials.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "session/credentials_error.hpp"

namespace parley::session {
namespace {

constexpr std::string_view kWellKnownFile = "application_default_credentials.json";
// A credentials file is a few kilobytes; anything far larger is not one.
constexpr std::uintmax_t kMaxFileBytes = 1 << 20;

// The string field `name`, or nullopt when absent, empty or not a string.
std::optional<std::string> string_field(const nlohmann::json& object, const char* name) {
    const auto it = object.find(name);
    if (it == object.end() || !it->is_string())
        return std::nullopt;
    auto value = it->get<std::string>();
    if (value.empty())
        return std::nullopt;
    return value;
}

std::error_code missing(const char* field, std::string_view type, const std::string& source) {
    return make_credentials_error(
        CredentialsError::kMalformedFile,
        std::string(type) + " credentials from " + source + " lack the \"" + field + "\" field");
}

}  // namespace

const std::string& Credentials::token_uri() const {
    return std::visit([](const auto& k) -> const std::string& { return k.token_uri; }, key);
}

const std::string& Credentials::project_id() const {
    if (const auto* sa = std::get_if<ServiceAccountKey>(&key))
        return sa->project_id;
    return std::get<AuthorizedUser>(key).quota_project_id;
}

Result<Credentials> parse_credentials(std::string_view json, std::string source) {
    const auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
        return fail(
            make_credentials_error(CredentialsError::kMalformedFile, source + " is not JSON"));
    }
    const auto type = string_field(doc, "type");
    if (!type) {
        return fail(make_credentials_error(CredentialsError::kMalformedFile,
                                           source + " has no \"type\" field"));
    }
    Credentials out;
    out.source = std::move(source);
    if (*type == "service_account") {
        ServiceAccountKey sa;
        for (auto [field, target] : {std::pair{"client_email", &sa.client_email},
                                     std::pair{"private_key", &sa.private_key}}) {
            auto value = string_field(doc, field);
            if (!value)
                return fail(missing(field, "service_account", out.source));
            *target = std::move(*value);
        }
        sa.private_key_id = string_field(doc, "private_key_id").value_or("");
        sa.token_uri = string_field(doc, "token_uri").value_or(std::string(kGoogleTokenUri));
        sa.project_id = string_field(doc, "project_id").value_or("");
        out.key = std::move(sa);
        return out;
    }
    if (*type == "authorized_user") {
        AuthorizedUser user;
        for (auto [field, target] : {std::pair{"client_id", &user.client_id},
                                     std::pair{"client_secret", &user.client_secret},
                                     std::pair{"refresh_token", &user.refresh_token}}) {
            auto value = string_field(doc, field);
            if (!value)
                return fail(missing(field, "authorized_user", out.source));
            *target = std::move(*value);
        }
        user.token_uri = string_field(doc, "token_uri").value_or(std::string(kGoogleTokenUri));
        user.quota_project_id = string_field(doc, "quota_project_id").value_or("");
        out.key = std::move(user);
        return out;
    }
    // The type is not a secret, but bound what we echo.
    std::string shown = type->substr(0, 40);
    for (char& c : shown) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = '?';
    }
    return fail(make_credentials_error(CredentialsError::kUnsupportedType,
                                       out.source + " has type \"" + shown + "\""));
}

Result<Credentials> load_credentials_file(const std::string& path, std::string_view source) {
    const std::string where = std::string(source) + " (" + path + ")";
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
        return fail(
            make_credentials_error(CredentialsError::kFileUnreadable, where + ": " + ec.message()));
    }
    if (size > kMaxFileBytes) {
        return fail(make_credentials_error(CredentialsError::kMalformedFile,
                                           where + " is too large for a credentials file"));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) {
        return fail(
            make_credentials_error(CredentialsError::kFileUnreadable, where + ": cannot open it"));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        return fail(
            make_credentials_error(CredentialsError::kFileUnreadable, where + ": read error"));
    }
    return parse_credentials(text.str(), where);
}

std::string well_known_credentials_path(const Environment& environment) {
    if (const auto config = environment.get("CLOUDSDK_CONFIG"); !config.empty())
        return config + "/" + std::string(kWellKnownFile);
    if (const auto home = environment.get("HOME"); !home.empty())
        return home + "/.config/gcloud/" + std::string(kWellKnownFile);
    return {};
}

Result<Credentials> find_default_credentials(const Environment& environment) {
    if (const auto named = environment.get("GOOGLE_APPLICATION_CREDENTIALS"); !named.empty()) {
        return load_credentials_file(named, "GOOGLE_APPLICATION_CREDENTIALS");
    }
    const auto well_known = well_known_credentials_path(environment);
    std::error_code ec;
    if (!well_known.empty() && std::filesystem::exists(well_known, ec)) {
        return load_credentials_file(well_known, "gcloud's application default credentials");
    }
    const std::string shown =
        well_known.empty() ? "~/.config/gcloud/" + std::string(kWellKnownFile) + " (HOME unset)"
                           : well_known;
    return fail(make_credentials_error(
        CredentialsError::kNoCredentials,
        "GOOGLE_APPLICATION_CREDENTIALS unset, no gcloud credentials at " + shown +
            " (run 'gcloud auth application-default login'), no GEMINI_API_KEY/GOOGLE_API_KEY"));
}

}  // namespace parley::session

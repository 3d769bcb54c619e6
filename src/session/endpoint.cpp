// SPDX-License-Identifier: Apache-2.0
#include "session/endpoint.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

#include "base/log.hpp"
#include "session/error.hpp"

namespace parley::session {
namespace {

constexpr std::string_view kGeminiHost = "wss://generativelanguage.googleapis.com";
constexpr std::string_view kVertexGlobalHost = "aiplatform.googleapis.com";
constexpr std::string_view kGeminiService = "/ws/google.ai.generativelanguage.";
constexpr std::string_view kVertexService = "/ws/google.cloud.aiplatform.";
constexpr std::string_view kEphemeralPrefix = "auth_tokens/";
// Sent when an explicit server URL is used without any credential: the local server (like
// Google's) refuses upgrades that carry no key at all (LIVE_PROTOCOL.md §11.2).
constexpr std::string_view kPlaceholderKey = "local";

constexpr std::array<std::string_view, 10> kVariables = {"GEMINI_API_KEY",
                                                         "GOOGLE_API_KEY",
                                                         "GOOGLE_GENAI_USE_VERTEXAI",
                                                         "GOOGLE_CLOUD_PROJECT",
                                                         "GOOGLE_CLOUD_LOCATION",
                                                         "GOOGLE_GEMINI_BASE_URL",
                                                         "GOOGLE_VERTEX_BASE_URL",
                                                         "GOOGLE_APPLICATION_CREDENTIALS",
                                                         "CLOUDSDK_CONFIG",
                                                         "HOME"};

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Path segments we splice into a URL: letters, digits and a few separators only, so a config
// value can never add a path, query or fragment of its own.
bool is_plain_segment(std::string_view text, std::string_view extra) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [extra](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
               extra.find(c) != std::string_view::npos;
    });
}

// Percent-encodes everything but RFC 3986 unreserved characters and '/' (ephemeral token names
// contain '/', which the SDKs send as is).
std::string query_escape(std::string_view value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
            out += c;
        } else {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 0x0F];
        }
    }
    return out;
}

struct SplitUrl {
    std::string scheme;     // lower case, as written
    std::string authority;  // as written
    std::string path;       // may be empty; no query
    std::string query;      // without '?'
};

// Splits "scheme://authority/path?query"; nullopt when there is no scheme or authority, or a
// fragment.
std::optional<SplitUrl> split_url(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0)
        return std::nullopt;
    SplitUrl out;
    out.scheme = lower(url.substr(0, scheme_end));
    auto rest = url.substr(scheme_end + 3);
    if (rest.find('#') != std::string_view::npos)
        return std::nullopt;
    const auto authority_end = rest.find_first_of("/?");
    out.authority = std::string(rest.substr(0, authority_end));
    if (out.authority.empty())
        return std::nullopt;
    if (authority_end == std::string_view::npos)
        return out;
    rest = rest.substr(authority_end);
    const auto query_start = rest.find('?');
    out.path = std::string(rest.substr(0, query_start));
    if (query_start != std::string_view::npos)
        out.query = std::string(rest.substr(query_start + 1));
    return out;
}

// The ws/wss scheme for a base URL, like the SDKs (http -> ws) but also taking ws/wss as given.
std::optional<std::string> websocket_scheme(std::string_view scheme) {
    if (scheme == "http" || scheme == "ws")
        return "ws";
    if (scheme == "https" || scheme == "wss")
        return "wss";
    return std::nullopt;
}

struct Credential {
    std::string value;
    std::string source;  // for the debug line: which variable or field it came from
};

Credential find_api_key(const ConnectionConfig& connection, const Environment& env) {
    if (!connection.api_key.empty())
        return {connection.api_key, "the config's API key"};
    const auto gemini = env.get("GEMINI_API_KEY");
    const auto google = env.get("GOOGLE_API_KEY");
    if (!gemini.empty()) {
        return {gemini, google.empty() ? "GEMINI_API_KEY"
                                       : "GEMINI_API_KEY (GOOGLE_API_KEY is also set; ignored)"};
    }
    if (!google.empty())
        return {google, "GOOGLE_API_KEY"};
    return {};
}

}  // namespace

Backend choose_backend(const ConnectionConfig& connection, const Environment& env) {
    if (connection.backend != Backend::kAuto)
        return connection.backend;
    const auto flag = lower(env.get("GOOGLE_GENAI_USE_VERTEXAI"));
    return flag == "true" || flag == "1" ? Backend::kVertex : Backend::kGeminiApi;
}

std::string Environment::get(std::string_view name) const {
    const auto it = variables.find(name);
    return it == variables.end() ? std::string() : it->second;
}

Environment Environment::from_process() {
    Environment env;
    for (const auto name : kVariables) {
        const std::string key(name);
        if (const char* value = std::getenv(key.c_str()); value != nullptr && *value != '\0') {
            env.variables.emplace(key, value);
        }
    }
    return env;
}

bool is_loopback_host(std::string_view host) {
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (lower(host) == "localhost" || host == "::1")
        return true;
    // 127.0.0.0/8 as a dotted quad only: "127.0.0.1.example.com" is a name anyone can point away.
    int octets = 0;
    std::size_t i = 0;
    while (i <= host.size()) {
        const auto end = std::min(host.find('.', i), host.size());
        const auto part = host.substr(i, end - i);
        if (part.empty() || part.size() > 3 ||
            !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            std::stoi(std::string(part)) > 255) {
            return false;
        }
        if (octets == 0 && part != "127")
            return false;
        ++octets;
        i = end + 1;
    }
    return octets == 4;
}

std::string expand_model_name(Backend backend, std::string_view model, std::string_view project,
                              std::string_view location) {
    std::string name(model);
    if (backend != Backend::kVertex) {
        if (name.starts_with("models/") || name.starts_with("tunedModels/"))
            return name;
        return "models/" + name;
    }
    if (name.starts_with("projects/"))
        return name;
    if (name.starts_with("models/"))
        name = name.substr(std::string_view("models/").size());
    if (!name.starts_with("publishers/"))
        name = "publishers/google/models/" + name;
    if (project.empty())
        return name;
    return "projects/" + std::string(project) + "/locations/" + std::string(location) + "/" + name;
}

Result<Endpoint> resolve_endpoint(const LiveSessionConfig& config, const Environment& env) {
    const ConnectionConfig& connection = config.connection;
    Endpoint out;
    out.backend = choose_backend(connection, env);
    const bool vertex = out.backend == Backend::kVertex;
    const bool explicit_url = !connection.url.empty();

    if (config.model.empty() ||
        std::any_of(config.model.begin(), config.model.end(),
                    [](unsigned char c) { return std::isspace(c) != 0 || c < 0x20; })) {
        return fail(SessionError::kInvalidConfig);
    }
    if (!connection.api_version.empty() && !is_plain_segment(connection.api_version, "")) {
        return fail(SessionError::kInvalidUrl);
    }

    // Credentials and the service path.
    const Credential key = find_api_key(connection, env);
    std::string service_path;
    std::string query;
    std::string default_base;
    std::string base_override;
    std::string project;
    if (vertex) {
        project = connection.project.empty() ? env.get("GOOGLE_CLOUD_PROJECT") : connection.project;
        std::string location =
            connection.location.empty() ? env.get("GOOGLE_CLOUD_LOCATION") : connection.location;
        if (location.empty())
            location = "global";
        if (!is_plain_segment(location, "-"))
            return fail(SessionError::kInvalidConfig);
        if (!connection.access_token.empty()) {
            if (project.empty())
                return fail(SessionError::kNoVertexProject);
            if (!is_plain_segment(project, "-.:"))
                return fail(SessionError::kInvalidConfig);
            out.headers.emplace_back("authorization", "Bearer " + connection.access_token);
            out.credential = "the config's access token";
            default_base =
                "wss://" + (location == "global" ? std::string(kVertexGlobalHost)
                                                 : location + "-" + std::string(kVertexGlobalHost));
        } else if (!key.value.empty()) {
            // Express mode: an API key, the global host, no project in the model name.
            project.clear();
            out.headers.emplace_back("x-goog-api-key", key.value);
            out.credential = key.source;
            default_base = "wss://" + std::string(kVertexGlobalHost);
        } else if (explicit_url) {
            out.headers.emplace_back("x-goog-api-key", std::string(kPlaceholderKey));
            out.credential = "none (a placeholder key for a local server)";
        } else {
            return fail(SessionError::kNoVertexCredentials);
        }
        const std::string version =
            connection.api_version.empty() ? "v1beta1" : connection.api_version;
        service_path =
            std::string(kVertexService) + version + ".LlmBidiService/BidiGenerateContent";
        base_override =
            connection.base_url.empty() ? env.get("GOOGLE_VERTEX_BASE_URL") : connection.base_url;
        out.model = expand_model_name(Backend::kVertex, config.model, project, location);
    } else {
        out.ephemeral_token = key.value.starts_with(kEphemeralPrefix);
        const std::string version = !connection.api_version.empty() ? connection.api_version
                                    : out.ephemeral_token           ? "v1alpha"
                                                                    : "v1beta";
        service_path =
            std::string(kGeminiService) + version + ".GenerativeService." +
            (out.ephemeral_token ? "BidiGenerateContentConstrained" : "BidiGenerateContent");
        if (out.ephemeral_token) {
            // The one place a secret goes into a URL: the protocol has no header for it that the
            // SDKs use (LIVE_PROTOCOL.md §1).
            query = "access_token=" + query_escape(key.value);
            out.credential = key.source + " (an ephemeral token)";
        } else if (!key.value.empty()) {
            out.headers.emplace_back("x-goog-api-key", key.value);
            out.credential = key.source;
        } else if (explicit_url) {
            out.headers.emplace_back("x-goog-api-key", std::string(kPlaceholderKey));
            out.credential = "none (a placeholder key for a local server)";
        } else {
            return fail(SessionError::kNoApiKey);
        }
        default_base = std::string(kGeminiHost);
        base_override =
            connection.base_url.empty() ? env.get("GOOGLE_GEMINI_BASE_URL") : connection.base_url;
        out.model = expand_model_name(Backend::kGeminiApi, config.model, {}, {});
    }

    // The URL: an explicit server URL, else a base URL (override or default) plus the path.
    std::string url;
    if (explicit_url) {
        const auto split = split_url(connection.url);
        if (!split)
            return fail(SessionError::kInvalidUrl);
        const auto scheme = websocket_scheme(split->scheme);
        if (!scheme)
            return fail(SessionError::kInvalidUrl);
        const bool no_path = split->path.empty() || split->path == "/";
        url = *scheme + "://" + split->authority + (no_path ? service_path : split->path);
        if (!split->query.empty())
            query = query.empty() ? split->query : split->query + "&" + query;
    } else {
        const std::string base = base_override.empty() ? default_base : base_override;
        const auto split = split_url(base);
        if (!split || !split->query.empty())
            return fail(SessionError::kInvalidUrl);
        const auto scheme = websocket_scheme(split->scheme);
        if (!scheme)
            return fail(SessionError::kInvalidUrl);
        std::string prefix = split->path;
        while (prefix.ends_with('/')) prefix.pop_back();
        url = *scheme + "://" + split->authority + prefix + service_path;
    }
    if (!query.empty())
        url += "?" + query;

    const auto parsed = transport::parse_url(url);
    if (!parsed)
        return fail(SessionError::kInvalidUrl);
    out.host = parsed->authority();
    const bool sends_secret =
        out.ephemeral_token ||
        std::any_of(out.headers.begin(), out.headers.end(),
                    [](const auto& h) { return h.second != kPlaceholderKey; });
    if (!parsed->tls() && sends_secret && !is_loopback_host(parsed->host)) {
        return fail(SessionError::kInsecureKey);
    }
    out.url = std::move(url);
    out.display_url = log::redact(out.url);
    return out;
}

}  // namespace parley::session

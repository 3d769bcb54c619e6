// SPDX-License-Identifier: Apache-2.0
// URL parsing for the transport clients.
#include "transport/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "transport/error.hpp"

namespace parley::transport {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace

std::optional<std::string> find_header(const Headers& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name))
            return value;
    }
    return std::nullopt;
}

std::string Url::authority() const {
    std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return out + ":" + std::to_string(port);
}

bool is_ip_literal(std::string_view host) {
    std::string h(host);
    unsigned char buf[16];
    return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

Result<Url> parse_url(std::string_view text) {
    Url url;
    auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) {
        return fail(make_error(Error::kInvalidUrl,
                               "invalid URL: no scheme (expected ws://, "
                               "wss://, http:// or https://)"));
    }
    for (char c : text.substr(0, scheme_end)) {
        url.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::uint16_t default_port = 0;
    if (url.scheme == "ws" || url.scheme == "http") {
        default_port = 80;
    } else if (url.scheme == "wss" || url.scheme == "https") {
        default_port = 443;
    } else {
        return fail(
            make_error(Error::kInvalidUrl, "invalid URL: unsupported scheme '" + url.scheme +
                                               "' (expected ws://, wss://, http:// or https://)"));
    }
    std::string_view rest = text.substr(scheme_end + 3);
    auto path_start = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, path_start);
    std::string_view target = path_start == std::string_view::npos ? "" : rest.substr(path_start);
    if (auto hash = target.find('#'); hash != std::string_view::npos)
        target = target.substr(0, hash);
    if (authority.find('@') != std::string_view::npos) {
        return fail(
            make_error(Error::kInvalidUrl, "invalid URL: user info ('user@') is not supported"));
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return fail(make_error(Error::kInvalidUrl, "invalid URL: unterminated IPv6 address"));
        }
        url.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return fail(make_error(Error::kInvalidUrl, "invalid URL: junk after IPv6 address"));
            }
            port_text = after.substr(1);
        }
    } else {
        auto colon = authority.rfind(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos)
            port_text = authority.substr(colon + 1);
    }
    if (url.host.empty())
        return fail(make_error(Error::kInvalidUrl, "invalid URL: no host"));
    url.port = default_port;
    if (!port_text.empty()) {
        unsigned value = 0;
        auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
            value > 65535) {
            return fail(make_error(Error::kInvalidUrl, "invalid URL: bad port number"));
        }
        url.port = static_cast<std::uint16_t>(value);
    }
    if (target.empty()) {
        url.target = "/";
    } else if (target.front() == '?') {
        url.target = "/" + std::string(target);
    } else {
        url.target = std::string(target);
    }
    return url;
}

}  // namespace parley::transport

// SPDX-License-Identifier: Apache-2.0
// Url: a parsed ws://, wss://, http:// or https:// address, header lists, and the test-only
// resolve override shared by the WebSocket and HTTP clients. Pure values; any context.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace parley::transport {

// Header name/value pairs in the order given; names compare case-insensitively.
using Headers = std::vector<std::pair<std::string, std::string>>;

// The value of the first header called `name` (ASCII case-insensitive), or nullopt.
[[nodiscard]] std::optional<std::string> find_header(const Headers& headers, std::string_view name);

struct Url {
    std::string scheme;        // "ws", "wss", "http" or "https" (lower case)
    std::string host;          // name or address, without IPv6 brackets
    std::uint16_t port = 0;    // the explicit port or the scheme's default
    std::string target = "/";  // path and query, starting with '/'
    [[nodiscard]] bool tls() const { return scheme == "wss" || scheme == "https"; }
    // "host:port" (IPv6 in brackets), for messages and the Host header.
    [[nodiscard]] std::string authority() const;
};

// Parses an absolute URL. Errors: Error::kInvalidUrl (the message never repeats the URL, which may
// carry a key).
[[nodiscard]] Result<Url> parse_url(std::string_view url);

// Test hook: connect to `address:port` whenever a URL names `host`, while SNI, the Host header and
// certificate verification still use `host`. Lets a test point a real host name at a local server.
struct ResolveOverride {
    std::string host;
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;
};

// True if `host` is an IPv4 or IPv6 address literal (no SNI is sent for those, RFC 6066 §3).
[[nodiscard]] bool is_ip_literal(std::string_view host);

}  // namespace parley::transport

// SPDX-License-Identifier: Apache-2.0
// transport::Error categories, and the interned table behind detailed error codes.
#include "transport/error.hpp"

#include <string>

#include "base/interned_details.hpp"

#include "transport/internal.hpp"

namespace parley::transport {

namespace detail {

const char* base_message(Error e) {
    switch (e) {
        case Error::kInvalidUrl:
            return "invalid URL (expected ws://, wss://, http:// or https://)";
        case Error::kResolveFailed:
            return "host name lookup failed (check the host name and DNS)";
        case Error::kConnectFailed:
            return "could not connect (is the server running, the port right?)";
        case Error::kTlsFailed:
            return "TLS handshake failed (is the port speaking TLS?)";
        case Error::kNotVerified:
            return "TLS certificate verification failed: certificate not trusted (give a CA file "
                   "with --ca-file?)";
        case Error::kHostMismatch:
            return "TLS certificate does not match the host name (connect with the name the "
                   "certificate was issued for)";
        case Error::kTlsConfig:
            return "could not load a TLS CA, certificate or key file (check the path)";
        case Error::kHandshakeFailed:
            return "WebSocket handshake failed (is this a WebSocket endpoint?)";
        case Error::kHandshakeRejected:
            return "WebSocket upgrade rejected by the server (check the path, model and key)";
        case Error::kTimeout:
            return "timed out (the peer did not answer in time)";
        case Error::kMessageTooBig:
            return "message too big (raise the maximum message size?)";
        case Error::kClosedByPeer:
            return "connection closed by the peer";
        case Error::kConnectionLost:
            return "connection lost (the peer went away without closing)";
        case Error::kProtocolError:
            return "protocol violation by the peer";
        case Error::kNotOpen:
            return "connection is not open";
        case Error::kCancelled:
            return "operation cancelled";
        case Error::kListenFailed:
            return "could not listen (is the port already in use?)";
        case Error::kHttpFailed:
            return "HTTP request failed";
        case Error::kBodyTooLarge:
            return "HTTP response body too large";
    }
    return "unknown transport error";
}

}  // namespace detail

namespace {

Condition condition_of(Error e) {
    switch (e) {
        case Error::kInvalidUrl:
        case Error::kResolveFailed:
        case Error::kConnectFailed:
        case Error::kListenFailed:
            return Condition::kConnectFailed;
        case Error::kTlsFailed:
        case Error::kNotVerified:
        case Error::kHostMismatch:
        case Error::kTlsConfig:
            return Condition::kTlsFailed;
        case Error::kHandshakeFailed:
        case Error::kHandshakeRejected:
            return Condition::kHandshakeFailed;
        case Error::kTimeout:
            return Condition::kTimeout;
        case Error::kClosedByPeer:
        case Error::kConnectionLost:
        case Error::kNotOpen:
            return Condition::kConnectionClosed;
        case Error::kMessageTooBig:
        case Error::kProtocolError:
        case Error::kHttpFailed:
        case Error::kBodyTooLarge:
            return Condition::kProtocolError;
        case Error::kCancelled:
            return Condition::kCancelled;
    }
    return Condition{};
}

class ErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "parley.transport"; }
    std::string message(int ev) const override {
        return detail::base_message(static_cast<Error>(ev));
    }
    std::error_condition default_error_condition(int ev) const noexcept override {
        return make_error_condition(condition_of(static_cast<Error>(ev)));
    }
};

class ConditionCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "parley.transport.condition"; }
    std::string message(int ev) const override {
        switch (static_cast<Condition>(ev)) {
            case Condition::kConnectFailed:
                return "could not connect";
            case Condition::kTlsFailed:
                return "TLS failed";
            case Condition::kHandshakeFailed:
                return "handshake failed";
            case Condition::kTimeout:
                return "timed out";
            case Condition::kConnectionClosed:
                return "connection closed";
            case Condition::kProtocolError:
                return "protocol error";
            case Condition::kCancelled:
                return "cancelled";
        }
        return "unknown transport condition";
    }
};

// Detailed codes: the value indexes an append-only table, so message() can say which host, which
// status and what OpenSSL said. Entries are deduplicated by text and capped, so a reconnect loop
// cannot grow the table without bound.
struct Entry {
    Error kind;
    int http_status;
    std::string message;
};

class DetailCategory final : public InternedDetailCategory<Entry> {
public:
    DetailCategory()
        : InternedDetailCategory("parley.transport.detail", "unknown transport error", 4096) {}
    std::error_condition default_error_condition(int ev) const noexcept override {
        if (const auto entry = find({ev, *this}))
            return make_error_condition(condition_of(entry->kind));
        return {ev, *this};
    }
};

const DetailCategory& detail_category() {
    static const DetailCategory category;
    return category;
}

}  // namespace

const std::error_category& error_category() noexcept {
    static const ErrorCategory category;
    return category;
}

const std::error_category& condition_category() noexcept {
    static const ConditionCategory category;
    return category;
}

std::error_code make_error_code(Error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

std::error_condition make_error_condition(Condition c) noexcept {
    return {static_cast<int>(c), condition_category()};
}

std::error_code make_error(Error kind, std::string_view message, int http_status) {
    auto ec = detail_category().make(std::to_string(static_cast<int>(kind)) + '|' +
                                         std::to_string(http_status) + '|' + std::string(message),
                                     Entry{kind, http_status, std::string(message)});
    return ec ? *ec : make_error_code(kind);
}

Error error_kind(const std::error_code& ec) noexcept {
    if (ec.category() == error_category())
        return static_cast<Error>(ec.value());
    if (const auto entry = detail_category().find(ec))
        return entry->kind;
    return Error{};
}

int http_status_of(const std::error_code& ec) noexcept {
    const auto entry = detail_category().find(ec);
    return entry ? entry->http_status : 0;
}

}  // namespace parley::transport

// SPDX-License-Identifier: Apache-2.0
#include "session/error.hpp"

#include <string>

namespace parley::session {
namespace {

class SessionCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "parley.session"; }

    std::string message(int ev) const override {
        switch (static_cast<SessionError>(ev)) {
            case SessionError::kNoApiKey:
                return "no API key: set GEMINI_API_KEY or GOOGLE_API_KEY, or use --url for a "
                       "local server";
            case SessionError::kNoVertexProject:
                return "Vertex AI needs a project: set GOOGLE_CLOUD_PROJECT (and "
                       "GOOGLE_CLOUD_LOCATION)";
            case SessionError::kNoVertexCredentials:
                return "Vertex AI needs credentials: give an OAuth access token (e.g. from "
                       "'gcloud auth print-access-token') or an API key";
            case SessionError::kTokenProviderFailed:
                return "could not get an access token from the token provider: check the "
                       "credentials";
            case SessionError::kInvalidUrl:
                return "invalid Live API URL: use ws://host:port[/path] or wss://..., and a base "
                       "URL with http://, https://, ws:// or wss://";
            case SessionError::kInsecureKey:
                return "refusing to send an API key over unencrypted ws:// to a host that is not "
                       "local: use wss://";
            case SessionError::kInvalidConfig:
                return "invalid session setting: check the value against its documented range";
            case SessionError::kAlreadyConnected:
                return "the session is already connecting or connected: close it first";
            case SessionError::kNotConnected:
                return "the session was never connected: call connect() first";
            case SessionError::kClosed:
                return "the session is closed: connect again";
            case SessionError::kSetupTimeout:
                return "the server did not answer setup in time (is this a Live API endpoint?)";
            case SessionError::kClosedByServer:
                return "the server closed the session";
            case SessionError::kServerError:
                return "the server closed the session after an internal error: try again later";
            case SessionError::kConnectionLost:
                return "the connection to the server was lost";
            case SessionError::kProtocolError:
                return "the server broke the Live API protocol";
        }
        return "unknown session error";
    }

    std::error_condition default_error_condition(int ev) const noexcept override {
        if (ev >= static_cast<int>(SessionError::kNoApiKey) &&
            ev <= static_cast<int>(SessionError::kInvalidConfig)) {
            return make_error_condition(SessionCondition::kConfiguration);
        }
        if (ev == static_cast<int>(SessionError::kClosedByServer) ||
            ev == static_cast<int>(SessionError::kServerError)) {
            return make_error_condition(SessionCondition::kServerClosed);
        }
        return std::error_condition(ev, *this);
    }
};

class SessionConditionCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "parley.session.condition"; }

    std::string message(int ev) const override {
        switch (static_cast<SessionCondition>(ev)) {
            case SessionCondition::kConfiguration:
                return "the session is not configured correctly";
            case SessionCondition::kServerClosed:
                return "the server closed the session";
        }
        return "unknown session condition";
    }
};

}  // namespace

const std::error_category& session_category() noexcept {
    static const SessionCategory category;
    return category;
}

const std::error_category& session_condition_category() noexcept {
    static const SessionConditionCategory category;
    return category;
}

std::error_code make_error_code(SessionError e) noexcept {
    return {static_cast<int>(e), session_category()};
}

std::error_condition make_error_condition(SessionCondition c) noexcept {
    return {static_cast<int>(c), session_condition_category()};
}

}  // namespace parley::session

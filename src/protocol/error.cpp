// SPDX-License-Identifier: Apache-2.0
// The "parley.protocol" error category: one line per ProtocolError saying what went wrong and
// what the sender should do.
#include "protocol/error.hpp"

namespace parley::protocol {
namespace {

class ProtocolCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "parley.protocol"; }

    std::string message(int ev) const override {
        switch (static_cast<ProtocolError>(ev)) {
            case ProtocolError::kNotJson:
                return "message is not valid JSON; send one UTF-8 JSON object per WebSocket "
                       "message";
            case ProtocolError::kNotObject:
                return "message or field is not a JSON object where the Live API expects one";
            case ProtocolError::kNoMessageKey:
                return "client message has no top-level key; send exactly one of setup, "
                       "clientContent, realtimeInput, toolResponse, contextUpdate";
            case ProtocolError::kMultipleMessageKeys:
                return "client message has more than one top-level key; send one message per "
                       "WebSocket frame";
            case ProtocolError::kUnknownMessageKey:
                return "unknown client message type; expected setup, clientContent, "
                       "realtimeInput, toolResponse or contextUpdate";
            case ProtocolError::kWrongType:
                return "a field has the wrong JSON type; check the Live API field reference";
            case ProtocolError::kMissingField:
                return "a required field is missing";
            case ProtocolError::kMultipleFields:
                return "realtimeInput carries more than one input; send one field per message";
            case ProtocolError::kBadBase64:
                return "bytes field is not valid base64; use standard base64 with padding";
            case ProtocolError::kBadEnum:
                return "unknown enum value; use one of the documented upper-case names";
            case ProtocolError::kBadDuration:
                return "bad duration; write seconds with an 's' suffix, like \"50s\" or "
                       "\"0.440s\"";
            case ProtocolError::kBadInteger:
                return "bad integer; use a JSON number or a decimal string in range";
            case ProtocolError::kTooDeep:
                return "JSON nested too deeply; flatten the schema or arguments";
        }
        return "unknown parley.protocol error";
    }
};

}  // namespace

const std::error_category& protocol_category() noexcept {
    static const ProtocolCategory category;
    return category;
}

}  // namespace parley::protocol

// SPDX-License-Identifier: Apache-2.0
// ProtocolError: why a Live API message could not be decoded, as a std::error_code enum with
// its category, plus DecodeError (code + a message naming the field path, e.g.
// "realtimeInput.audio.data: invalid base64 at offset 12"). Returned by the decoders in
// codec.hpp; used by the client and the local server on io. Any context, no state.
#pragma once

#include <string>
#include <system_error>
#include <utility>

#include <tl/expected.hpp>

#include "base/result.hpp"

namespace parley::protocol {

enum class ProtocolError {
    kNotJson = 1,          // the text is not one valid JSON value
    kNotObject,            // the JSON value (or a nested message) is not an object
    kNoMessageKey,         // a client message with zero top-level keys
    kMultipleMessageKeys,  // a client message with more than one top-level key
    kUnknownMessageKey,    // a client message whose top-level key is not a Live API message
    kWrongType,            // a field has the wrong JSON type (string where a number belongs, ...)
    kMissingField,         // a required field is absent (setup.model, functionCall.name, ...)
    kMultipleFields,       // realtimeInput carries more than one input field
    kBadBase64,            // a bytes field is not valid base64
    kBadEnum,              // an enum string is not one of the known values
    kBadDuration,          // a duration is not like "50s" or "0.440s"
    kBadInteger,           // an integer is out of range or a string that is not an integer
    kTooDeep,              // JSON nesting deeper than kMaxJsonDepth
};

// The std::error_category of ProtocolError ("parley.protocol").
[[nodiscard]] const std::error_category& protocol_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(ProtocolError e) noexcept {
    return {static_cast<int>(e), protocol_category()};
}

// A decode failure: the code, and a one-line message that names the field path.
struct DecodeError {
    ProtocolError code = ProtocolError::kNotJson;
    std::string message;

    [[nodiscard]] std::error_code error_code() const noexcept { return make_error_code(code); }
    // So that `Result<T> r = fail(err)`-style code and error_code comparisons just work.
    operator std::error_code() const noexcept {
        return error_code();
    }  // NOLINT(google-explicit-constructor)
};

// Return type of the decoders.
template <typename T>
using DecodeResult = tl::expected<T, DecodeError>;

// Drops the message and keeps the code, for callers that speak parley::Result<T>.
template <typename T>
[[nodiscard]] Result<T> to_result(DecodeResult<T>&& r) {
    if (r)
        return Result<T>(std::move(*r));
    return tl::unexpected<std::error_code>(r.error().error_code());
}

}  // namespace parley::protocol

template <>
struct std::is_error_code_enum<parley::protocol::ProtocolError> : std::true_type {};

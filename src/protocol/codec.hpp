// SPDX-License-Identifier: Apache-2.0
// The Live API JSON codec: pure functions from message structs to wire text and back.
// Encoding writes compact camelCase JSON in the official JS SDK's key order (client side) and in
// Google's order (server side: inlineData mimeType before data). Decoding accepts camelCase and
// snake_case, int64 as number or string, and reports malformed input as a DecodeError naming the
// field path. Called on io by the client (encode client / decode server) and the local server
// (decode client / encode server). No I/O, no state; never throws on bad input.
#pragma once

#include <string>
#include <string_view>

#include "protocol/client_message.hpp"
#include "protocol/error.hpp"
#include "protocol/server_message.hpp"
#include "protocol/setup.hpp"

namespace parley::protocol {

// Input nested deeper than this (objects + arrays) is rejected with kTooDeep, which keeps every
// recursive walk over decoded JSON bounded.
inline constexpr int kMaxJsonDepth = 64;

// One client message as the JS SDK sends it, e.g. {"realtimeInput":{"audio":{...}}}.
[[nodiscard]] std::string encode_client_message(const ClientMessage& message);
[[nodiscard]] std::string encode_client_message(const Setup& setup);
[[nodiscard]] std::string encode_client_message(const ClientContent& content);
[[nodiscard]] std::string encode_client_message(const RealtimeInput& input);
[[nodiscard]] std::string encode_client_message(const ToolResponse& response);
[[nodiscard]] std::string encode_client_message(const ContextUpdate& update);

// Parses one client message (the local server's side). Errors: kNotJson, kTooDeep, kNotObject,
// kNoMessageKey, kMultipleMessageKeys, kUnknownMessageKey, then per-field kWrongType,
// kMissingField, kMultipleFields, kBadBase64, kBadEnum, kBadInteger. Unknown fields inside a
// message are ignored.
[[nodiscard]] DecodeResult<ClientMessage> decode_client_message(std::string_view text);

// One server message; present parts in LiveServerMessage order.
[[nodiscard]] std::string encode_server_message(const ServerMessage& message);

// Parses one server message (the client's side). Unknown top-level keys and fields are ignored
// and unknown enum names decode as *_UNSPECIFIED (Google adds values); malformed known fields
// are errors as for client messages, plus kBadDuration.
[[nodiscard]] DecodeResult<ServerMessage> decode_server_message(std::string_view text);

}  // namespace parley::protocol

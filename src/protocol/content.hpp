// SPDX-License-Identifier: Apache-2.0
// Shared Live API value types: Blob (raw bytes + mimeType), Part, Content, FunctionCall,
// FunctionResponse. Used inside client messages (turns, systemInstruction, toolResponse) and
// server messages (modelTurn, toolCall). Plain aggregates; absent optionals are not emitted.
// Free-form JSON (function args, responses, other part kinds) is nlohmann::ordered_json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/enums.hpp"

namespace parley::protocol {

using Json = nlohmann::ordered_json;

// Inline bytes. `data` holds the raw (decoded) bytes; on the wire it is base64.
struct Blob {
    std::vector<std::uint8_t> data{};
    std::string mime_type{};  // "audio/pcm;rate=16000", "image/jpeg", ...

    bool operator==(const Blob&) const = default;
};

// A function call the model asks for (toolCall.functionCalls[], or a functionCall part).
struct FunctionCall {
    std::optional<std::string> id{};  // always set by the Gemini API
    std::string name{};
    Json args = Json::object();

    bool operator==(const FunctionCall&) const = default;
};

// The client's answer to a FunctionCall (toolResponse.functionResponses[]).
struct FunctionResponse {
    std::optional<std::string> id{};  // required by the Gemini API
    std::string name{};
    Json response = Json::object();  // e.g. {"output": ...} or {"error": ...}
    std::optional<FunctionResponseScheduling> scheduling{};  // NON_BLOCKING functions only
    std::optional<bool> will_continue{};

    bool operator==(const FunctionResponse&) const = default;
};

// One part of a Content. Usually exactly one of the fields is set; `other` keeps part kinds this
// library does not model (executableCode, codeExecutionResult, fileData, ...) as an object of
// their keys, emitted before the modelled ones.
struct Part {
    std::optional<FunctionCall> function_call{};
    std::optional<FunctionResponse> function_response{};
    std::optional<Blob> inline_data{};
    std::optional<std::string> text{};
    std::optional<bool> thought{};  // true: a thought summary, not for the user
    std::optional<std::string> thought_signature{};
    Json other = Json::object();

    bool operator==(const Part&) const = default;
};

// A turn: ordered parts and the author ("user" or "model").
struct Content {
    std::vector<Part> parts{};
    std::optional<std::string> role{};

    bool operator==(const Content&) const = default;
};

// A one-text-part Content, e.g. a system instruction: {"parts":[{"text":...}],"role":"user"}.
[[nodiscard]] inline Content text_content(std::string text, std::string role = "user") {
    Part part;
    part.text = std::move(text);
    Content c;
    c.parts.push_back(std::move(part));
    c.role = std::move(role);
    return c;
}

}  // namespace parley::protocol

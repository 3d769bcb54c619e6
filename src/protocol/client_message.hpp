// SPDX-License-Identifier: Apache-2.0
// Client -> server messages of the Live API (LIVE_PROTOCOL.md §4): ClientContent, RealtimeInput,
// ToolResponse, ContextUpdate, and ClientMessage, the variant of the five (Setup is in
// setup.hpp). Built by the client and decoded by the local server, both on io.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/content.hpp"
#include "protocol/setup.hpp"

namespace parley::protocol {

// Turns appended to the history in order; turn_complete true starts generation.
struct ClientContent {
    std::optional<std::vector<Content>> turns{};
    std::optional<bool> turn_complete{};
    bool operator==(const ClientContent&) const = default;
};

// realtimeInput carries exactly one of these per message (Google rejects more than one).
struct AudioInput {
    Blob audio{};  // PCM16 LE mono, mime "audio/pcm;rate=16000"
    bool operator==(const AudioInput&) const = default;
};
struct VideoInput {
    Blob video{};  // "image/jpeg" or "image/png" frame
    bool operator==(const VideoInput&) const = default;
};
struct TextInput {
    std::string text{};
    bool operator==(const TextInput&) const = default;
};
struct ActivityStart {
    bool operator==(const ActivityStart&) const = default;
};
struct ActivityEnd {
    bool operator==(const ActivityEnd&) const = default;
};
struct AudioStreamEnd {  // {"audioStreamEnd":true}: the mic paused, flush buffered audio
    bool operator==(const AudioStreamEnd&) const = default;
};
struct MediaChunks {  // deprecated; 3.x models reject it
    std::vector<Blob> chunks{};
    bool operator==(const MediaChunks&) const = default;
};

struct RealtimeInput {
    std::variant<AudioInput, VideoInput, TextInput, ActivityStart, ActivityEnd, AudioStreamEnd,
                 MediaChunks>
        input{};
    bool operator==(const RealtimeInput&) const = default;
};

struct ToolResponse {
    std::vector<FunctionResponse> function_responses{};
    bool operator==(const ToolResponse&) const = default;
};

// Newer SDKs only: replaces the system instruction and/or tools mid-session.
struct ContextUpdate {
    std::optional<Content> system_instruction{};
    std::optional<std::vector<Tool>> tools{};  // wire: {"tools":{"tools":[...]}}
    bool operator==(const ContextUpdate&) const = default;
};

using ClientMessage =
    std::variant<Setup, ClientContent, RealtimeInput, ToolResponse, ContextUpdate>;

}  // namespace parley::protocol

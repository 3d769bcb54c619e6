// SPDX-License-Identifier: Apache-2.0
// Server -> client messages of the Live API (LIVE_PROTOCOL.md §5). One ServerMessage may carry
// several parts at once (serverContent + usageMetadata, serverContent:{} + voiceActivity), so it
// is a struct of optionals rather than a variant. Built by the local server and decoded by the
// client, both on io.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/content.hpp"
#include "protocol/duration.hpp"
#include "protocol/enums.hpp"

namespace parley::protocol {

struct SetupComplete {
    std::optional<std::string> session_id{};  // Vertex
    bool operator==(const SetupComplete&) const = default;
};

struct Transcription {
    std::optional<std::string> text{};  // an incremental fragment
    std::optional<bool> finished{};
    std::optional<std::string> language_code{};
    bool operator==(const Transcription&) const = default;
};

struct ServerContent {
    std::optional<Content> model_turn{};  // audio (inlineData), text, thought parts
    std::optional<bool> turn_complete{};
    std::optional<bool> interrupted{};
    std::optional<Json> grounding_metadata{};
    std::optional<bool> generation_complete{};
    std::optional<Transcription> input_transcription{};
    std::optional<Transcription> interim_input_transcription{};
    std::optional<Transcription> output_transcription{};
    std::optional<Json> url_context_metadata{};
    std::optional<TurnCompleteReason> turn_complete_reason{};
    std::optional<bool> waiting_for_input{};
    std::optional<InteractionStatus> interaction_status{};
    bool operator==(const ServerContent&) const = default;
};

struct ToolCall {
    std::vector<FunctionCall> function_calls{};
    bool operator==(const ToolCall&) const = default;
};

struct ToolCallCancellation {
    std::vector<std::string> ids{};
    bool operator==(const ToolCallCancellation&) const = default;
};

struct ModalityTokenCount {
    std::optional<MediaModality> modality{};
    std::optional<std::int32_t> token_count{};
    bool operator==(const ModalityTokenCount&) const = default;
};

// Token usage. Vertex's candidatesTokenCount / candidatesTokensDetails decode into the
// response_* fields.
struct UsageMetadata {
    std::optional<std::int32_t> prompt_token_count{};
    std::optional<std::int32_t> cached_content_token_count{};
    std::optional<std::int32_t> response_token_count{};
    std::optional<std::int32_t> tool_use_prompt_token_count{};
    std::optional<std::int32_t> thoughts_token_count{};
    std::optional<std::int32_t> total_token_count{};
    std::optional<std::vector<ModalityTokenCount>> prompt_tokens_details{};
    std::optional<std::vector<ModalityTokenCount>> cache_tokens_details{};
    std::optional<std::vector<ModalityTokenCount>> response_tokens_details{};
    std::optional<std::vector<ModalityTokenCount>> tool_use_prompt_tokens_details{};
    bool operator==(const UsageMetadata&) const = default;
};

struct GoAway {
    std::optional<Duration> time_left{};  // wire "50s"
    bool operator==(const GoAway&) const = default;
};

struct SessionResumptionUpdate {
    std::optional<std::string> new_handle{};
    std::optional<bool> resumable{};
    std::optional<std::int64_t> last_consumed_client_message_index{};  // Vertex transparent mode
    bool operator==(const SessionResumptionUpdate&) const = default;
};

// Vertex sends the type as "type"; the decoder accepts both.
struct VoiceActivity {
    std::optional<VoiceActivityType> voice_activity_type{};
    std::optional<Duration> audio_offset{};  // wire "0.440s"
    bool operator==(const VoiceActivity&) const = default;
};

struct VoiceActivityDetectionSignal {
    std::optional<VadSignalType> vad_signal_type{};
    bool operator==(const VoiceActivityDetectionSignal&) const = default;
};

// Encoded in this key order, which is the order of LiveServerMessage in the SDK.
struct ServerMessage {
    std::optional<SetupComplete> setup_complete{};
    std::optional<ServerContent> server_content{};
    std::optional<ToolCall> tool_call{};
    std::optional<ToolCallCancellation> tool_call_cancellation{};
    std::optional<UsageMetadata> usage_metadata{};
    std::optional<GoAway> go_away{};
    std::optional<SessionResumptionUpdate> session_resumption_update{};
    std::optional<VoiceActivityDetectionSignal> voice_activity_detection_signal{};
    std::optional<VoiceActivity> voice_activity{};
    bool operator==(const ServerMessage&) const = default;
};

}  // namespace parley::protocol

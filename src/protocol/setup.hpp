// SPDX-License-Identifier: Apache-2.0
// Setup: the first client message of a Live session (model, generation config, system
// instruction, tools, VAD, transcription, resumption, compression). Field names mirror the
// wire (LIVE_PROTOCOL.md §4.1) in snake_case; every optional left empty is not emitted.
// Built by the client on io; decoded and validated by the local server on io.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/content.hpp"
#include "protocol/enums.hpp"

namespace parley::protocol {

struct PrebuiltVoiceConfig {
    std::optional<std::string> voice_name{};  // "Kore", "Puck", ...
    bool operator==(const PrebuiltVoiceConfig&) const = default;
};

struct VoiceConfig {
    std::optional<PrebuiltVoiceConfig> prebuilt_voice_config{};
    bool operator==(const VoiceConfig&) const = default;
};

struct SpeechConfig {
    std::optional<VoiceConfig> voice_config{};
    std::optional<std::string> language_code{};  // "en-US"
    bool operator==(const SpeechConfig&) const = default;
};

struct ThinkingConfig {
    std::optional<bool> include_thoughts{};
    std::optional<std::int32_t> thinking_budget{};  // tokens; 0 = off, -1 = dynamic
    std::optional<ThinkingLevel> thinking_level{};  // 3.x models
    bool operator==(const ThinkingConfig&) const = default;
};

struct GenerationConfig {
    std::optional<std::vector<Modality>> response_modalities{};  // {kAudio} or {kText}
    std::optional<double> temperature{};
    std::optional<double> top_p{};
    std::optional<std::int32_t> top_k{};
    std::optional<std::int32_t> max_output_tokens{};
    std::optional<MediaResolution> media_resolution{};
    std::optional<std::int32_t> seed{};
    std::optional<SpeechConfig> speech_config{};
    std::optional<ThinkingConfig> thinking_config{};
    std::optional<bool> enable_affective_dialog{};
    std::optional<Json> translation_config{};  // kept as JSON
    bool operator==(const GenerationConfig&) const = default;
};

struct FunctionDeclaration {
    std::string name{};
    std::optional<std::string> description{};
    std::optional<Json> parameters{};              // OpenAPI-ish schema, upper-case types
    std::optional<Json> parameters_json_schema{};  // JSON Schema alternative
    std::optional<Json> response{};
    std::optional<Behavior> behavior{};
    bool operator==(const FunctionDeclaration&) const = default;
};

// One tools[] entry. Function declarations are modelled; other tool kinds (googleSearch,
// codeExecution, urlContext, ...) are kept as an object of their keys in `other`.
struct Tool {
    std::optional<std::vector<FunctionDeclaration>> function_declarations{};
    Json other = Json::object();
    bool operator==(const Tool&) const = default;
};

struct SessionResumptionConfig {
    std::optional<std::string> handle{};  // from the last sessionResumptionUpdate.newHandle
    std::optional<bool> transparent{};    // Vertex only
    bool operator==(const SessionResumptionConfig&) const = default;
};

// Presence turns transcription on ({}). Newer optional keys (languageCodes, mode, ...) are kept
// as they came in `fields`, an object.
struct AudioTranscriptionConfig {
    Json fields = Json::object();
    bool operator==(const AudioTranscriptionConfig&) const = default;
};

struct AutomaticActivityDetection {
    std::optional<bool> disabled{};  // true: the client sends activityStart / activityEnd
    std::optional<StartSensitivity> start_of_speech_sensitivity{};
    std::optional<EndSensitivity> end_of_speech_sensitivity{};
    std::optional<std::int32_t> prefix_padding_ms{};
    std::optional<std::int32_t> silence_duration_ms{};
    bool operator==(const AutomaticActivityDetection&) const = default;
};

struct RealtimeInputConfig {
    std::optional<AutomaticActivityDetection> automatic_activity_detection{};
    std::optional<ActivityHandling> activity_handling{};
    std::optional<TurnCoverage> turn_coverage{};
    std::optional<bool> interim_transcript_timestamp_enabled{};
    bool operator==(const RealtimeInputConfig&) const = default;
};

struct SlidingWindow {
    std::optional<std::int64_t> target_tokens{};  // int64: a JSON string on the wire
    bool operator==(const SlidingWindow&) const = default;
};

struct ContextWindowCompression {
    std::optional<std::int64_t> trigger_tokens{};  // int64: a JSON string on the wire
    std::optional<SlidingWindow> sliding_window{};
    bool operator==(const ContextWindowCompression&) const = default;
};

struct ProactivityConfig {
    std::optional<bool> proactive_audio{};
    bool operator==(const ProactivityConfig&) const = default;
};

struct Setup {
    std::string model{};  // "models/gemini-..." (Gemini API) or "projects/.../models/..." (Vertex)
    std::optional<GenerationConfig> generation_config{};
    std::optional<Content> system_instruction{};
    std::optional<std::vector<Tool>> tools{};
    std::optional<SessionResumptionConfig> session_resumption{};
    std::optional<AudioTranscriptionConfig> input_audio_transcription{};
    std::optional<AudioTranscriptionConfig> output_audio_transcription{};
    std::optional<RealtimeInputConfig> realtime_input_config{};
    std::optional<ContextWindowCompression> context_window_compression{};
    std::optional<ProactivityConfig> proactivity{};
    std::optional<bool> explicit_vad_signal{};  // Vertex only
    bool operator==(const Setup&) const = default;
};

}  // namespace parley::protocol

// SPDX-License-Identifier: Apache-2.0
// Encoding half of codec.hpp. Key order follows the JS SDK 2.32 converters for client messages
// (liveConnectConfigToMldev: generationConfig keys in the order the converter sets them;
// partToMldev; toolToMldev) and what Google sends for server messages (inlineData with mimeType
// before data; toolCall function calls as id, name, args).
#include "protocol/codec.hpp"

#include <array>

#include "protocol/base64.hpp"
#include "protocol/duration.hpp"
#include "protocol/json_writer.hpp"

namespace parley::protocol {
namespace {

// Which peer we write for: a few nested objects are ordered differently by the SDK (client)
// and by Google (server).
enum class Side { kClient, kServer };

class Encoder {
public:
    Encoder(std::string& out, Side side) : w_(out), side_(side) {}

    template <typename T>
    void field(std::string_view name, const std::optional<T>& v) {
        if (v) {
            w_.key(name);
            write(*v);
        }
    }

    void write(const std::string& s) { w_.value(std::string_view(s)); }
    void write(bool b) { w_.value(b); }
    void write(std::int32_t n) { w_.value(std::int64_t{n}); }
    void write(std::int64_t n) { w_.value_int64_string(n); }  // proto3 JSON: int64 as string
    void write(double d) { w_.value(d); }
    void write(const Json& j) { w_.value_json(j); }
    void write(Duration d) { w_.value(std::string_view(format_duration(d))); }

    template <ProtocolEnum E>
    void write(E e) {
        w_.value(to_string(e));
    }

    template <typename T>
    void write(const std::vector<T>& items) {
        w_.begin_array();
        for (const auto& item : items) write(item);
        w_.end_array();
    }

    void write(const Blob& b) {
        w_.begin_object();
        if (side_ == Side::kServer) {
            w_.key("mimeType");
            w_.value(std::string_view(b.mime_type));
            w_.key("data");
            w_.value_base64(b.data);
        } else {
            w_.key("data");
            w_.value_base64(b.data);
            w_.key("mimeType");
            w_.value(std::string_view(b.mime_type));
        }
        w_.end_object();
    }

    void write(const FunctionCall& c) {
        w_.begin_object();
        if (side_ == Side::kServer) {
            field("id", c.id);
            w_.key("name");
            write(c.name);
            w_.key("args");
            write(c.args);
        } else {  // functionCallToMldev: args, id, name
            w_.key("args");
            write(c.args);
            field("id", c.id);
            w_.key("name");
            write(c.name);
        }
        w_.end_object();
    }

    void write(const FunctionResponse& r) {
        w_.begin_object();
        field("id", r.id);
        w_.key("name");
        write(r.name);
        w_.key("response");
        write(r.response);
        field("scheduling", r.scheduling);
        field("willContinue", r.will_continue);
        w_.end_object();
    }

    void write(const Part& p) {
        // partToMldev's order; the modelled keys sit at their place in it.
        static constexpr std::array<std::string_view, 15> kOrder = {
            "mediaResolution",     "toolCall",       "toolResponse", "audioTranscription",
            "codeExecutionResult", "executableCode", "fileData",     "functionCall",
            "functionResponse",    "inlineData",     "text",         "thought",
            "thoughtSignature",    "videoMetadata",  "partMetadata"};
        w_.begin_object();
        for (std::string_view name : kOrder) {
            if (name == "functionCall") {
                field(name, p.function_call);
            } else if (name == "functionResponse") {
                field(name, p.function_response);
            } else if (name == "inlineData") {
                field(name, p.inline_data);
            } else if (name == "text") {
                field(name, p.text);
            } else if (name == "thought") {
                field(name, p.thought);
            } else if (name == "thoughtSignature") {
                field(name, p.thought_signature);
            } else {
                write_other_key(p.other, name);
            }
        }
        write_other_rest(p.other, kOrder);
        w_.end_object();
    }

    void write(const Content& c) {
        w_.begin_object();
        w_.key("parts");
        write(c.parts);
        field("role", c.role);
        w_.end_object();
    }

    // ---- setup ----
    void write(const PrebuiltVoiceConfig& c) {
        w_.begin_object();
        field("voiceName", c.voice_name);
        w_.end_object();
    }
    void write(const VoiceConfig& c) {
        w_.begin_object();
        field("prebuiltVoiceConfig", c.prebuilt_voice_config);
        w_.end_object();
    }
    void write(const SpeechConfig& c) {
        w_.begin_object();
        field("voiceConfig", c.voice_config);
        field("languageCode", c.language_code);
        w_.end_object();
    }
    void write(const ThinkingConfig& c) {
        w_.begin_object();
        field("thinkingBudget", c.thinking_budget);
        field("includeThoughts", c.include_thoughts);
        field("thinkingLevel", c.thinking_level);
        w_.end_object();
    }
    void write(const GenerationConfig& c) {
        w_.begin_object();
        field("responseModalities", c.response_modalities);
        field("temperature", c.temperature);
        field("topP", c.top_p);
        field("topK", c.top_k);
        field("maxOutputTokens", c.max_output_tokens);
        field("mediaResolution", c.media_resolution);
        field("seed", c.seed);
        field("speechConfig", c.speech_config);
        field("thinkingConfig", c.thinking_config);
        field("enableAffectiveDialog", c.enable_affective_dialog);
        field("translationConfig", c.translation_config);
        w_.end_object();
    }
    void write(const FunctionDeclaration& d) {
        w_.begin_object();
        w_.key("name");
        write(d.name);
        field("description", d.description);
        field("parameters", d.parameters);
        field("parametersJsonSchema", d.parameters_json_schema);
        field("response", d.response);
        field("behavior", d.behavior);
        w_.end_object();
    }
    void write(const Tool& t) {
        static constexpr std::array<std::string_view, 9> kOrder = {"googleMaps",
                                                                   "mcpServers",
                                                                   "codeExecution",
                                                                   "computerUse",
                                                                   "functionDeclarations",
                                                                   "googleSearch",
                                                                   "googleSearchRetrieval",
                                                                   "urlContext",
                                                                   "fileSearch"};
        w_.begin_object();
        for (std::string_view name : kOrder) {
            if (name == "functionDeclarations") {
                field(name, t.function_declarations);
            } else {
                write_other_key(t.other, name);
            }
        }
        write_other_rest(t.other, kOrder);
        w_.end_object();
    }
    void write(const SessionResumptionConfig& c) {
        w_.begin_object();
        field("handle", c.handle);
        field("transparent", c.transparent);
        w_.end_object();
    }
    void write(const AudioTranscriptionConfig& c) {
        if (c.fields.is_object()) {
            w_.value_json(c.fields);
        } else {
            w_.begin_object();
            w_.end_object();
        }
    }
    void write(const AutomaticActivityDetection& c) {
        w_.begin_object();
        field("disabled", c.disabled);
        field("startOfSpeechSensitivity", c.start_of_speech_sensitivity);
        field("endOfSpeechSensitivity", c.end_of_speech_sensitivity);
        field("prefixPaddingMs", c.prefix_padding_ms);
        field("silenceDurationMs", c.silence_duration_ms);
        w_.end_object();
    }
    void write(const RealtimeInputConfig& c) {
        w_.begin_object();
        field("automaticActivityDetection", c.automatic_activity_detection);
        field("activityHandling", c.activity_handling);
        field("turnCoverage", c.turn_coverage);
        field("interimTranscriptTimestampEnabled", c.interim_transcript_timestamp_enabled);
        w_.end_object();
    }
    void write(const SlidingWindow& c) {
        w_.begin_object();
        field("targetTokens", c.target_tokens);
        w_.end_object();
    }
    void write(const ContextWindowCompression& c) {
        w_.begin_object();
        field("triggerTokens", c.trigger_tokens);
        field("slidingWindow", c.sliding_window);
        w_.end_object();
    }
    void write(const ProactivityConfig& c) {
        w_.begin_object();
        field("proactiveAudio", c.proactive_audio);
        w_.end_object();
    }
    void write(const Setup& s) {
        w_.begin_object();
        w_.key("model");
        write(s.model);
        field("generationConfig", s.generation_config);
        field("systemInstruction", s.system_instruction);
        field("tools", s.tools);
        field("sessionResumption", s.session_resumption);
        field("inputAudioTranscription", s.input_audio_transcription);
        field("outputAudioTranscription", s.output_audio_transcription);
        field("realtimeInputConfig", s.realtime_input_config);
        field("contextWindowCompression", s.context_window_compression);
        field("proactivity", s.proactivity);
        field("explicitVadSignal", s.explicit_vad_signal);
        w_.end_object();
    }

    // ---- other client messages ----
    void write(const ClientContent& c) {
        w_.begin_object();
        field("turns", c.turns);
        field("turnComplete", c.turn_complete);
        w_.end_object();
    }
    void write(const RealtimeInput& r) {
        w_.begin_object();
        std::visit([this](const auto& in) { write_input(in); }, r.input);
        w_.end_object();
    }
    void write(const ToolResponse& r) {
        w_.begin_object();
        w_.key("functionResponses");
        write(r.function_responses);
        w_.end_object();
    }
    void write(const ContextUpdate& u) {
        w_.begin_object();
        field("systemInstruction", u.system_instruction);
        if (u.tools) {
            w_.key("tools");
            w_.begin_object();
            w_.key("tools");
            write(*u.tools);
            w_.end_object();
        }
        w_.end_object();
    }

    // ---- server messages ----
    void write(const SetupComplete& s) {
        w_.begin_object();
        field("sessionId", s.session_id);
        w_.end_object();
    }
    void write(const Transcription& t) {
        w_.begin_object();
        field("text", t.text);
        field("finished", t.finished);
        field("languageCode", t.language_code);
        w_.end_object();
    }
    void write(const ServerContent& c) {
        w_.begin_object();
        field("modelTurn", c.model_turn);
        field("turnComplete", c.turn_complete);
        field("interrupted", c.interrupted);
        field("groundingMetadata", c.grounding_metadata);
        field("generationComplete", c.generation_complete);
        field("inputTranscription", c.input_transcription);
        field("interimInputTranscription", c.interim_input_transcription);
        field("outputTranscription", c.output_transcription);
        field("urlContextMetadata", c.url_context_metadata);
        field("turnCompleteReason", c.turn_complete_reason);
        field("waitingForInput", c.waiting_for_input);
        field("interactionStatus", c.interaction_status);
        w_.end_object();
    }
    void write(const ToolCall& t) {
        w_.begin_object();
        w_.key("functionCalls");
        write(t.function_calls);
        w_.end_object();
    }
    void write(const ToolCallCancellation& t) {
        w_.begin_object();
        w_.key("ids");
        write(t.ids);
        w_.end_object();
    }
    void write(const ModalityTokenCount& m) {
        w_.begin_object();
        field("modality", m.modality);
        field("tokenCount", m.token_count);
        w_.end_object();
    }
    void write(const UsageMetadata& u) {
        w_.begin_object();
        field("promptTokenCount", u.prompt_token_count);
        field("cachedContentTokenCount", u.cached_content_token_count);
        field("responseTokenCount", u.response_token_count);
        field("toolUsePromptTokenCount", u.tool_use_prompt_token_count);
        field("thoughtsTokenCount", u.thoughts_token_count);
        field("totalTokenCount", u.total_token_count);
        field("promptTokensDetails", u.prompt_tokens_details);
        field("cacheTokensDetails", u.cache_tokens_details);
        field("responseTokensDetails", u.response_tokens_details);
        field("toolUsePromptTokensDetails", u.tool_use_prompt_tokens_details);
        w_.end_object();
    }
    void write(const GoAway& g) {
        w_.begin_object();
        field("timeLeft", g.time_left);
        w_.end_object();
    }
    void write(const SessionResumptionUpdate& s) {
        w_.begin_object();
        field("newHandle", s.new_handle);
        field("resumable", s.resumable);
        field("lastConsumedClientMessageIndex", s.last_consumed_client_message_index);
        w_.end_object();
    }
    void write(const VoiceActivity& v) {
        w_.begin_object();
        field("voiceActivityType", v.voice_activity_type);
        field("audioOffset", v.audio_offset);
        w_.end_object();
    }
    void write(const VoiceActivityDetectionSignal& v) {
        w_.begin_object();
        field("vadSignalType", v.vad_signal_type);
        w_.end_object();
    }
    void write(const ServerMessage& m) {
        w_.begin_object();
        field("setupComplete", m.setup_complete);
        field("serverContent", m.server_content);
        field("toolCall", m.tool_call);
        field("toolCallCancellation", m.tool_call_cancellation);
        field("usageMetadata", m.usage_metadata);
        field("goAway", m.go_away);
        field("sessionResumptionUpdate", m.session_resumption_update);
        field("voiceActivityDetectionSignal", m.voice_activity_detection_signal);
        field("voiceActivity", m.voice_activity);
        w_.end_object();
    }

    // {"<key>": <message>} for one client message.
    template <typename M>
    void write_client(std::string_view key, const M& m) {
        w_.begin_object();
        w_.key(key);
        write(m);
        w_.end_object();
    }

private:
    // liveSendRealtimeInputParametersToMldev: one key per message.
    void write_input(const AudioInput& a) { key_then("audio", a.audio); }
    void write_input(const VideoInput& v) { key_then("video", v.video); }
    void write_input(const TextInput& t) { key_then("text", t.text); }
    void write_input(const ActivityStart&) { empty_object("activityStart"); }
    void write_input(const ActivityEnd&) { empty_object("activityEnd"); }
    void write_input(const AudioStreamEnd&) { key_then("audioStreamEnd", true); }
    void write_input(const MediaChunks& m) { key_then("mediaChunks", m.chunks); }

    template <typename T>
    void key_then(std::string_view name, const T& v) {
        w_.key(name);
        write(v);
    }
    void empty_object(std::string_view name) {
        w_.key(name);
        w_.begin_object();
        w_.end_object();
    }

    void write_other_key(const Json& other, std::string_view name) {
        if (!other.is_object())
            return;
        const auto it = other.find(std::string(name));
        if (it != other.end()) {
            w_.key(name);
            w_.value_json(*it);
        }
    }
    template <std::size_t N>
    void write_other_rest(const Json& other, const std::array<std::string_view, N>& known) {
        if (!other.is_object())
            return;
        for (const auto& [k, v] : other.items()) {
            bool listed = false;
            for (std::string_view name : known) listed = listed || name == k;
            if (listed)
                continue;
            w_.key_escaped(k);  // keys of `other` come from peers: escape them
            w_.value_json(v);
        }
    }
    JsonWriter w_;
    Side side_;
};

}  // namespace

std::string encode_client_message(const Setup& setup) {
    std::string out;
    Encoder(out, Side::kClient).write_client("setup", setup);
    return out;
}

std::string encode_client_message(const ClientContent& content) {
    std::string out;
    Encoder(out, Side::kClient).write_client("clientContent", content);
    return out;
}

std::string encode_client_message(const RealtimeInput& input) {
    std::string out;
    if (const auto* audio = std::get_if<AudioInput>(&input.input)) {
        // {"realtimeInput":{"audio":{"data":"","mimeType":""}}} is 55 bytes around the payload.
        out.reserve(base64_encoded_size(audio->audio.data.size()) + audio->audio.mime_type.size() +
                    64);
    }
    Encoder(out, Side::kClient).write_client("realtimeInput", input);
    return out;
}

std::string encode_client_message(const ToolResponse& response) {
    std::string out;
    Encoder(out, Side::kClient).write_client("toolResponse", response);
    return out;
}

std::string encode_client_message(const ContextUpdate& update) {
    std::string out;
    Encoder(out, Side::kClient).write_client("contextUpdate", update);
    return out;
}

std::string encode_client_message(const ClientMessage& message) {
    return std::visit([](const auto& m) { return encode_client_message(m); }, message);
}

std::string encode_server_message(const ServerMessage& message) {
    std::string out;
    if (message.server_content && message.server_content->model_turn) {
        std::size_t payload = 0;
        for (const Part& p : message.server_content->model_turn->parts) {
            if (p.inline_data)
                payload += base64_encoded_size(p.inline_data->data.size());
        }
        out.reserve(payload + 128);
    }
    Encoder(out, Side::kServer).write(message);
    return out;
}

}  // namespace parley::protocol

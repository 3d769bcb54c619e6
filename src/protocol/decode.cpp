// SPDX-License-Identifier: Apache-2.0
// Decoding half of codec.hpp. The text is parsed by nlohmann-json (no exceptions on bad input),
// then walked field by field. Every field is looked up by its camelCase name and also accepted
// in snake_case (Google's parser takes both; many third-party clients send `realtime_input`).
// proto3 JSON rules: null means absent, int32/int64 may be numbers or strings, enums are names
// (or their numbers), bytes are base64 of either alphabet.
#include "protocol/codec.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>

#include "protocol/base64.hpp"
#include "protocol/duration.hpp"
#include "protocol/json_reader.hpp"

namespace parley::protocol {
namespace {

// A link in the path from the message root to the field being read; rendered only on error.
struct PathNode {
    const PathNode* parent = nullptr;
    std::string_view key;
    std::size_t index = 0;
    bool is_index = false;
};

std::string path_string(const PathNode* node) {
    std::vector<const PathNode*> chain;
    for (; node != nullptr; node = node->parent) chain.push_back(node);
    std::string out;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        if ((*it)->is_index) {
            out += '[' + std::to_string((*it)->index) + ']';
        } else {
            if (!out.empty())
                out += '.';
            out += (*it)->key;
        }
    }
    return out.empty() ? std::string("message") : out;
}

const char* type_name(const Json& v) {
    switch (v.type()) {
        case Json::value_t::null:
            return "null";
        case Json::value_t::object:
            return "an object";
        case Json::value_t::array:
            return "an array";
        case Json::value_t::string:
            return "a string";
        case Json::value_t::boolean:
            return "a boolean";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
        case Json::value_t::number_float:
            return "a number";
        default:
            return "an unsupported value";
    }
}

// A peer-supplied string for an error message: quoted and cut to one short line.
std::string quote_for_error(std::string_view s) {
    constexpr std::size_t kMax = 40;
    std::string out = "\"";
    for (char c : s.substr(0, kMax)) out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
    if (s.size() > kMax)
        out += "...";
    return out + "\"";
}

// True when `key` is `camel` itself or its snake_case spelling ("mimeType" / "mime_type").
bool key_matches(std::string_view key, std::string_view camel) {
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < key.size() && j < camel.size()) {
        const char c = camel[j];
        if (c >= 'A' && c <= 'Z') {
            if (key[i] == c) {
                ++i;
            } else if (key[i] == '_' && i + 1 < key.size() && key[i + 1] == c - 'A' + 'a') {
                i += 2;
            } else {
                return false;
            }
        } else if (key[i] == c) {
            ++i;
        } else {
            return false;
        }
        ++j;
    }
    return i == key.size() && j == camel.size();
}

// "code_execution" -> "codeExecution"; camelCase keys come back unchanged.
std::string to_camel(std::string_view key) {
    std::string out;
    out.reserve(key.size());
    bool upper = false;
    for (char c : key) {
        if (c == '_' && !out.empty()) {
            upper = true;
            continue;
        }
        out += (upper && c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        upper = false;
    }
    return out;
}

const Json* find(const Json& obj, std::string_view camel) {
    for (const auto& kv : obj.get_ref<const Json::object_t&>()) {
        if (key_matches(kv.first, camel))
            return &kv.second;
    }
    return nullptr;
}

class Decoder {
public:
    explicit Decoder(bool lenient_enums) : lenient_enums_(lenient_enums) {}

    DecodeError take_error() { return std::move(*error_); }

    bool fail(ProtocolError code, const PathNode& at, const std::string& detail) {
        error_ = DecodeError{code, path_string(&at) + ": " + detail};
        return false;
    }
    bool wrong_type(const PathNode& at, const char* expected, const Json& got) {
        return fail(ProtocolError::kWrongType, at,
                    std::string("expected ") + expected + ", got " + type_name(got));
    }
    bool expect_object(const Json& v, const PathNode& at) {
        return v.is_object() || wrong_type(at, "an object", v);
    }

    // Optional field: absent or null leaves `out` empty.
    template <typename T>
    bool field(const Json& obj, const PathNode& at, std::string_view name, std::optional<T>& out) {
        const Json* v = find(obj, name);
        if (v == nullptr || v->is_null())
            return true;
        const PathNode node{&at, name};
        T value{};
        if (!read(*v, node, value))
            return false;
        out = std::move(value);
        return true;
    }

    // Required field: absent or null is kMissingField.
    template <typename T>
    bool required(const Json& obj, const PathNode& at, std::string_view name, T& out) {
        const Json* v = find(obj, name);
        const PathNode node{&at, name};
        if (v == nullptr || v->is_null()) {
            return fail(ProtocolError::kMissingField, node, "missing; this field is required");
        }
        return read(*v, node, out);
    }

    // Keys of `obj` not in `known`, camelCased, into the object `other`.
    template <std::size_t N>
    void keep_others(const Json& obj, const std::array<std::string_view, N>& known, Json& other) {
        for (const auto& kv : obj.get_ref<const Json::object_t&>()) {
            if (kv.second.is_null())
                continue;
            bool modelled = false;
            for (std::string_view k : known) modelled = modelled || key_matches(kv.first, k);
            if (!modelled)
                other[to_camel(kv.first)] = kv.second;
        }
    }

    // ---- scalars ----
    bool read(const Json& v, const PathNode& at, bool& out) {
        if (!v.is_boolean())
            return wrong_type(at, "a boolean", v);
        out = v.get<bool>();
        return true;
    }
    bool read(const Json& v, const PathNode& at, std::string& out) {
        if (!v.is_string())
            return wrong_type(at, "a string", v);
        out = v.get_ref<const std::string&>();
        return true;
    }
    bool read(const Json& v, const PathNode& at, double& out) {
        if (!v.is_number())
            return wrong_type(at, "a number", v);
        out = v.get<double>();
        return true;
    }
    bool read(const Json& v, const PathNode& at, std::int32_t& out) {
        return read_integer(v, at, out);
    }
    bool read(const Json& v, const PathNode& at, std::int64_t& out) {
        return read_integer(v, at, out);
    }

    template <typename I>
    bool read_integer(const Json& v, const PathNode& at, I& out) {
        using Limits = std::numeric_limits<I>;
        const auto out_of_range = [&] {
            return fail(ProtocolError::kBadInteger, at,
                        "integer out of range [" + std::to_string(Limits::min()) + ", " +
                            std::to_string(Limits::max()) + "]");
        };
        if (v.is_number_unsigned()) {
            const auto u = v.get<std::uint64_t>();
            if (u > static_cast<std::uint64_t>(Limits::max()))
                return out_of_range();
            out = static_cast<I>(u);
            return true;
        }
        if (v.is_number_integer()) {
            const auto n = v.get<std::int64_t>();
            if (n < Limits::min() || n > Limits::max())
                return out_of_range();
            out = static_cast<I>(n);
            return true;
        }
        if (v.is_number_float()) {
            const double d = v.get<double>();
            if (!std::isfinite(d) || d != std::trunc(d)) {
                return fail(ProtocolError::kBadInteger, at, "expected an integer, got a fraction");
            }
            // 2^63 is exact in a double; anything at or beyond it does not fit an int64.
            if (d < static_cast<double>(Limits::min()) ||
                d >= -static_cast<double>(Limits::min())) {
                return out_of_range();
            }
            const auto n = static_cast<std::int64_t>(d);
            if (n < Limits::min() || n > Limits::max())
                return out_of_range();
            out = static_cast<I>(n);
            return true;
        }
        if (v.is_string()) {
            const auto& s = v.get_ref<const std::string&>();
            I n{};
            const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
            if (ec == std::errc::result_out_of_range)
                return out_of_range();
            if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
                return fail(ProtocolError::kBadInteger, at,
                            "expected an integer string, got " + quote_for_error(s));
            }
            out = n;
            return true;
        }
        return wrong_type(at, "an integer", v);
    }

    bool read(const Json& v, const PathNode& at, Duration& out) {
        if (!v.is_string())
            return wrong_type(at, "a duration string like \"50s\"", v);
        const auto& s = v.get_ref<const std::string&>();
        const auto d = parse_duration(s);
        if (!d) {
            return fail(
                ProtocolError::kBadDuration, at,
                "expected a duration like \"50s\" or \"0.440s\", got " + quote_for_error(s));
        }
        out = *d;
        return true;
    }

    template <ProtocolEnum E>
    bool read(const Json& v, const PathNode& at, E& out) {
        const auto& names = EnumNames<E>::kNames;
        if (v.is_number_integer()) {  // proto3 JSON also allows the enum's number
            const auto n = v.get<std::int64_t>();
            if (n >= 0 && static_cast<std::size_t>(n) < std::size(names)) {
                out = static_cast<E>(n);
                return true;
            }
            if (lenient_enums_) {
                out = E{};
                return true;
            }
            return fail(ProtocolError::kBadEnum, at, "unknown enum number " + std::to_string(n));
        }
        if (!v.is_string())
            return wrong_type(at, "an enum name string", v);
        const auto& s = v.get_ref<const std::string&>();
        if (const auto e = enum_from_string<E>(s)) {
            out = *e;
            return true;
        }
        if (lenient_enums_) {  // a value newer than this library: keep the message
            out = E{};
            return true;
        }
        std::string expected;
        for (std::size_t i = 1; i < std::size(names); ++i) {
            if (!expected.empty())
                expected += ", ";
            expected += names[i];
        }
        return fail(ProtocolError::kBadEnum, at,
                    "unknown value " + quote_for_error(s) + "; expected one of " + expected);
    }

    bool read(const Json& v, const PathNode&, Json& out) {
        out = v;
        return true;
    }

    template <typename T>
    bool read(const Json& v, const PathNode& at, std::vector<T>& out) {
        if (!v.is_array())
            return wrong_type(at, "an array", v);
        out.clear();
        out.reserve(v.size());
        std::size_t i = 0;
        for (const Json& item : v) {
            const PathNode node{&at, {}, i++, true};
            T value{};
            if (!read(item, node, value))
                return false;
            out.push_back(std::move(value));
        }
        return true;
    }

    // ---- shared types ----
    bool read(const Json& v, const PathNode& at, Blob& out) {
        if (!expect_object(v, at))
            return false;
        if (const Json* data = find(v, "data"); data != nullptr && !data->is_null()) {
            const PathNode node{&at, "data"};
            if (!data->is_string())
                return wrong_type(node, "a base64 string", *data);
            if (const auto bad = base64_decode(data->get_ref<const std::string&>(), out.data)) {
                return fail(ProtocolError::kBadBase64, node,
                            "invalid base64 at offset " + std::to_string(bad->offset));
            }
        }
        std::optional<std::string> mime;
        if (!field(v, at, "mimeType", mime))
            return false;
        out.mime_type = std::move(mime).value_or(std::string());
        return true;
    }

    bool read_free_object(const Json& obj, const PathNode& at, std::string_view name, Json& out) {
        std::optional<Json> j;
        if (!field(obj, at, name, j))
            return false;
        if (!j)
            return true;  // keeps the default {}
        if (!j->is_object()) {
            const PathNode node{&at, name};
            return wrong_type(node, "an object", *j);
        }
        out = std::move(*j);
        return true;
    }

    bool read(const Json& v, const PathNode& at, FunctionCall& out) {
        return expect_object(v, at) && field(v, at, "id", out.id) &&
               required(v, at, "name", out.name) && read_free_object(v, at, "args", out.args);
    }

    bool read(const Json& v, const PathNode& at, FunctionResponse& out) {
        return expect_object(v, at) && field(v, at, "id", out.id) &&
               required(v, at, "name", out.name) &&
               read_free_object(v, at, "response", out.response) &&
               field(v, at, "scheduling", out.scheduling) &&
               field(v, at, "willContinue", out.will_continue);
    }

    bool read(const Json& v, const PathNode& at, Part& out) {
        static constexpr std::array<std::string_view, 6> kModelled = {
            "functionCall", "functionResponse", "inlineData",
            "text",         "thought",          "thoughtSignature"};
        if (!expect_object(v, at))
            return false;
        if (!field(v, at, "functionCall", out.function_call) ||
            !field(v, at, "functionResponse", out.function_response) ||
            !field(v, at, "inlineData", out.inline_data) || !field(v, at, "text", out.text) ||
            !field(v, at, "thought", out.thought) ||
            !field(v, at, "thoughtSignature", out.thought_signature)) {
            return false;
        }
        keep_others(v, kModelled, out.other);
        return true;
    }

    bool read(const Json& v, const PathNode& at, Content& out) {
        std::optional<std::vector<Part>> parts;
        if (!expect_object(v, at) || !field(v, at, "parts", parts) ||
            !field(v, at, "role", out.role)) {
            return false;
        }
        out.parts = std::move(parts).value_or(std::vector<Part>{});
        return true;
    }

    // ---- setup ----
    bool read(const Json& v, const PathNode& at, PrebuiltVoiceConfig& out) {
        return expect_object(v, at) && field(v, at, "voiceName", out.voice_name);
    }
    bool read(const Json& v, const PathNode& at, VoiceConfig& out) {
        return expect_object(v, at) &&
               field(v, at, "prebuiltVoiceConfig", out.prebuilt_voice_config);
    }
    bool read(const Json& v, const PathNode& at, SpeechConfig& out) {
        return expect_object(v, at) && field(v, at, "voiceConfig", out.voice_config) &&
               field(v, at, "languageCode", out.language_code);
    }
    bool read(const Json& v, const PathNode& at, ThinkingConfig& out) {
        return expect_object(v, at) && field(v, at, "includeThoughts", out.include_thoughts) &&
               field(v, at, "thinkingBudget", out.thinking_budget) &&
               field(v, at, "thinkingLevel", out.thinking_level);
    }
    bool read(const Json& v, const PathNode& at, GenerationConfig& out) {
        return expect_object(v, at) &&
               field(v, at, "responseModalities", out.response_modalities) &&
               field(v, at, "temperature", out.temperature) && field(v, at, "topP", out.top_p) &&
               field(v, at, "topK", out.top_k) &&
               field(v, at, "maxOutputTokens", out.max_output_tokens) &&
               field(v, at, "mediaResolution", out.media_resolution) &&
               field(v, at, "seed", out.seed) && field(v, at, "speechConfig", out.speech_config) &&
               field(v, at, "thinkingConfig", out.thinking_config) &&
               field(v, at, "enableAffectiveDialog", out.enable_affective_dialog) &&
               field(v, at, "translationConfig", out.translation_config);
    }
    bool read(const Json& v, const PathNode& at, FunctionDeclaration& out) {
        return expect_object(v, at) && required(v, at, "name", out.name) &&
               field(v, at, "description", out.description) &&
               field(v, at, "parameters", out.parameters) &&
               field(v, at, "parametersJsonSchema", out.parameters_json_schema) &&
               field(v, at, "response", out.response) && field(v, at, "behavior", out.behavior);
    }
    bool read(const Json& v, const PathNode& at, Tool& out) {
        static constexpr std::array<std::string_view, 1> kModelled = {"functionDeclarations"};
        if (!expect_object(v, at) ||
            !field(v, at, "functionDeclarations", out.function_declarations)) {
            return false;
        }
        keep_others(v, kModelled, out.other);
        return true;
    }
    bool read(const Json& v, const PathNode& at, SessionResumptionConfig& out) {
        return expect_object(v, at) && field(v, at, "handle", out.handle) &&
               field(v, at, "transparent", out.transparent);
    }
    bool read(const Json& v, const PathNode& at, AudioTranscriptionConfig& out) {
        static constexpr std::array<std::string_view, 0> kNone = {};
        if (!expect_object(v, at))
            return false;
        keep_others(v, kNone, out.fields);
        return true;
    }
    bool read(const Json& v, const PathNode& at, AutomaticActivityDetection& out) {
        return expect_object(v, at) && field(v, at, "disabled", out.disabled) &&
               field(v, at, "startOfSpeechSensitivity", out.start_of_speech_sensitivity) &&
               field(v, at, "endOfSpeechSensitivity", out.end_of_speech_sensitivity) &&
               field(v, at, "prefixPaddingMs", out.prefix_padding_ms) &&
               field(v, at, "silenceDurationMs", out.silence_duration_ms);
    }
    bool read(const Json& v, const PathNode& at, RealtimeInputConfig& out) {
        return expect_object(v, at) &&
               field(v, at, "automaticActivityDetection", out.automatic_activity_detection) &&
               field(v, at, "activityHandling", out.activity_handling) &&
               field(v, at, "turnCoverage", out.turn_coverage) &&
               field(v, at, "interimTranscriptTimestampEnabled",
                     out.interim_transcript_timestamp_enabled);
    }
    bool read(const Json& v, const PathNode& at, SlidingWindow& out) {
        return expect_object(v, at) && field(v, at, "targetTokens", out.target_tokens);
    }
    bool read(const Json& v, const PathNode& at, ContextWindowCompression& out) {
        return expect_object(v, at) && field(v, at, "triggerTokens", out.trigger_tokens) &&
               field(v, at, "slidingWindow", out.sliding_window);
    }
    bool read(const Json& v, const PathNode& at, ProactivityConfig& out) {
        return expect_object(v, at) && field(v, at, "proactiveAudio", out.proactive_audio);
    }
    bool read(const Json& v, const PathNode& at, Setup& out) {
        return expect_object(v, at) && required(v, at, "model", out.model) &&
               field(v, at, "generationConfig", out.generation_config) &&
               field(v, at, "systemInstruction", out.system_instruction) &&
               field(v, at, "tools", out.tools) &&
               field(v, at, "sessionResumption", out.session_resumption) &&
               field(v, at, "inputAudioTranscription", out.input_audio_transcription) &&
               field(v, at, "outputAudioTranscription", out.output_audio_transcription) &&
               field(v, at, "realtimeInputConfig", out.realtime_input_config) &&
               field(v, at, "contextWindowCompression", out.context_window_compression) &&
               field(v, at, "proactivity", out.proactivity) &&
               field(v, at, "explicitVadSignal", out.explicit_vad_signal);
    }

    // ---- other client messages ----
    bool read(const Json& v, const PathNode& at, ClientContent& out) {
        return expect_object(v, at) && field(v, at, "turns", out.turns) &&
               field(v, at, "turnComplete", out.turn_complete);
    }

    bool read(const Json& v, const PathNode& at, RealtimeInput& out) {
        if (!expect_object(v, at))
            return false;
        std::optional<Blob> audio;
        std::optional<Blob> video;
        std::optional<std::string> text;
        std::optional<Json> activity_start;
        std::optional<Json> activity_end;
        std::optional<bool> audio_stream_end;
        std::optional<std::vector<Blob>> media_chunks;
        if (!field(v, at, "audio", audio) || !field(v, at, "video", video) ||
            !field(v, at, "text", text) || !field(v, at, "activityStart", activity_start) ||
            !field(v, at, "activityEnd", activity_end) ||
            !field(v, at, "audioStreamEnd", audio_stream_end) ||
            !field(v, at, "mediaChunks", media_chunks)) {
            return false;
        }
        for (auto [marker, name] : {std::pair{&activity_start, "activityStart"},
                                    std::pair{&activity_end, "activityEnd"}}) {
            if (*marker && !marker->value().is_object()) {
                const PathNode node{&at, name};
                return wrong_type(node, "an object", marker->value());
            }
        }
        // audioStreamEnd:false is proto3's default value: it carries nothing.
        if (audio_stream_end && !*audio_stream_end)
            audio_stream_end.reset();

        std::string present;
        int count = 0;
        const auto note = [&](bool has, const char* name) {
            if (!has)
                return;
            if (count++ > 0)
                present += " and ";
            present += name;
        };
        note(audio.has_value(), "audio");
        note(video.has_value(), "video");
        note(text.has_value(), "text");
        note(activity_start.has_value(), "activityStart");
        note(activity_end.has_value(), "activityEnd");
        note(audio_stream_end.has_value(), "audioStreamEnd");
        note(media_chunks.has_value(), "mediaChunks");
        if (count == 0) {
            return fail(ProtocolError::kMissingField, at,
                        "no input; expected one of audio, video, text, activityStart, "
                        "activityEnd, audioStreamEnd, mediaChunks");
        }
        if (count > 1) {
            return fail(ProtocolError::kMultipleFields, at,
                        "carries " + present + "; send one field per realtimeInput message");
        }
        if (audio) {
            out.input = AudioInput{std::move(*audio)};
        } else if (video) {
            out.input = VideoInput{std::move(*video)};
        } else if (text) {
            out.input = TextInput{std::move(*text)};
        } else if (activity_start) {
            out.input = ActivityStart{};
        } else if (activity_end) {
            out.input = ActivityEnd{};
        } else if (audio_stream_end) {
            out.input = AudioStreamEnd{};
        } else {
            out.input = MediaChunks{std::move(*media_chunks)};
        }
        return true;
    }

    bool read(const Json& v, const PathNode& at, ToolResponse& out) {
        std::optional<std::vector<FunctionResponse>> responses;
        if (!expect_object(v, at) || !field(v, at, "functionResponses", responses))
            return false;
        out.function_responses = std::move(responses).value_or(std::vector<FunctionResponse>{});
        return true;
    }

    bool read(const Json& v, const PathNode& at, ContextUpdate& out) {
        if (!expect_object(v, at) || !field(v, at, "systemInstruction", out.system_instruction)) {
            return false;
        }
        const Json* tools = find(v, "tools");
        if (tools == nullptr || tools->is_null())
            return true;
        const PathNode node{&at, "tools"};
        std::vector<Tool> list;
        if (tools->is_array()) {  // tolerate the list without its wrapper object
            if (!read(*tools, node, list))
                return false;
        } else {
            std::optional<std::vector<Tool>> inner;
            if (!expect_object(*tools, node) || !field(*tools, node, "tools", inner))
                return false;
            list = std::move(inner).value_or(std::vector<Tool>{});
        }
        out.tools = std::move(list);
        return true;
    }

    // ---- server messages ----
    bool read(const Json& v, const PathNode& at, SetupComplete& out) {
        return expect_object(v, at) && field(v, at, "sessionId", out.session_id);
    }
    bool read(const Json& v, const PathNode& at, Transcription& out) {
        return expect_object(v, at) && field(v, at, "text", out.text) &&
               field(v, at, "finished", out.finished) &&
               field(v, at, "languageCode", out.language_code);
    }
    bool read(const Json& v, const PathNode& at, ServerContent& out) {
        return expect_object(v, at) && field(v, at, "modelTurn", out.model_turn) &&
               field(v, at, "turnComplete", out.turn_complete) &&
               field(v, at, "interrupted", out.interrupted) &&
               field(v, at, "groundingMetadata", out.grounding_metadata) &&
               field(v, at, "generationComplete", out.generation_complete) &&
               field(v, at, "inputTranscription", out.input_transcription) &&
               field(v, at, "interimInputTranscription", out.interim_input_transcription) &&
               field(v, at, "outputTranscription", out.output_transcription) &&
               field(v, at, "urlContextMetadata", out.url_context_metadata) &&
               field(v, at, "turnCompleteReason", out.turn_complete_reason) &&
               field(v, at, "waitingForInput", out.waiting_for_input) &&
               field(v, at, "interactionStatus", out.interaction_status);
    }
    bool read(const Json& v, const PathNode& at, ToolCall& out) {
        std::optional<std::vector<FunctionCall>> calls;
        if (!expect_object(v, at) || !field(v, at, "functionCalls", calls))
            return false;
        out.function_calls = std::move(calls).value_or(std::vector<FunctionCall>{});
        return true;
    }
    bool read(const Json& v, const PathNode& at, ToolCallCancellation& out) {
        std::optional<std::vector<std::string>> ids;
        if (!expect_object(v, at) || !field(v, at, "ids", ids))
            return false;
        out.ids = std::move(ids).value_or(std::vector<std::string>{});
        return true;
    }
    bool read(const Json& v, const PathNode& at, ModalityTokenCount& out) {
        return expect_object(v, at) && field(v, at, "modality", out.modality) &&
               field(v, at, "tokenCount", out.token_count);
    }
    bool read(const Json& v, const PathNode& at, UsageMetadata& out) {
        if (!expect_object(v, at) || !field(v, at, "promptTokenCount", out.prompt_token_count) ||
            !field(v, at, "cachedContentTokenCount", out.cached_content_token_count) ||
            !field(v, at, "responseTokenCount", out.response_token_count) ||
            !field(v, at, "toolUsePromptTokenCount", out.tool_use_prompt_token_count) ||
            !field(v, at, "thoughtsTokenCount", out.thoughts_token_count) ||
            !field(v, at, "totalTokenCount", out.total_token_count) ||
            !field(v, at, "promptTokensDetails", out.prompt_tokens_details) ||
            !field(v, at, "cacheTokensDetails", out.cache_tokens_details) ||
            !field(v, at, "responseTokensDetails", out.response_tokens_details) ||
            !field(v, at, "toolUsePromptTokensDetails", out.tool_use_prompt_tokens_details)) {
            return false;
        }
        // Vertex names the response counts "candidates" (the SDK renames them).
        if (!out.response_token_count &&
            !field(v, at, "candidatesTokenCount", out.response_token_count)) {
            return false;
        }
        return out.response_tokens_details ||
               field(v, at, "candidatesTokensDetails", out.response_tokens_details);
    }
    bool read(const Json& v, const PathNode& at, GoAway& out) {
        return expect_object(v, at) && field(v, at, "timeLeft", out.time_left);
    }
    bool read(const Json& v, const PathNode& at, SessionResumptionUpdate& out) {
        return expect_object(v, at) && field(v, at, "newHandle", out.new_handle) &&
               field(v, at, "resumable", out.resumable) &&
               field(v, at, "lastConsumedClientMessageIndex",
                     out.last_consumed_client_message_index);
    }
    bool read(const Json& v, const PathNode& at, VoiceActivity& out) {
        if (!expect_object(v, at) || !field(v, at, "voiceActivityType", out.voice_activity_type) ||
            !field(v, at, "audioOffset", out.audio_offset)) {
            return false;
        }
        // Vertex sends the type as "type" (the SDK renames it).
        return out.voice_activity_type || field(v, at, "type", out.voice_activity_type);
    }
    bool read(const Json& v, const PathNode& at, VoiceActivityDetectionSignal& out) {
        return expect_object(v, at) && field(v, at, "vadSignalType", out.vad_signal_type);
    }
    bool read(const Json& v, const PathNode& at, ServerMessage& out) {
        return expect_object(v, at) && field(v, at, "setupComplete", out.setup_complete) &&
               field(v, at, "serverContent", out.server_content) &&
               field(v, at, "toolCall", out.tool_call) &&
               field(v, at, "toolCallCancellation", out.tool_call_cancellation) &&
               field(v, at, "usageMetadata", out.usage_metadata) &&
               field(v, at, "goAway", out.go_away) &&
               field(v, at, "sessionResumptionUpdate", out.session_resumption_update) &&
               field(v, at, "voiceActivityDetectionSignal", out.voice_activity_detection_signal) &&
               field(v, at, "voiceActivity", out.voice_activity);
    }

private:
    bool lenient_enums_;
    std::optional<DecodeError> error_;
};

// Parses `text` into `doc`, or describes why not.
std::optional<DecodeError> parse_document(std::string_view text, Json& doc) {
    const auto read = read_json(text, kMaxJsonDepth, doc);
    if (read.status == JsonReadStatus::kTooDeep) {
        return DecodeError{ProtocolError::kTooDeep, "message: JSON nested deeper than " +
                                                        std::to_string(kMaxJsonDepth) + " levels"};
    }
    if (read.status == JsonReadStatus::kNotJson) {
        return DecodeError{ProtocolError::kNotJson,
                           "message: not valid JSON (syntax error at byte " +
                               std::to_string(read.error_byte) + ")"};
    }
    if (!doc.is_object()) {
        return DecodeError{ProtocolError::kNotObject,
                           std::string("message: expected a JSON object, got ") + type_name(doc)};
    }
    return std::nullopt;
}

template <typename M>
DecodeResult<ClientMessage> decode_body(const Json& body, std::string_view key) {
    Decoder decoder(/*lenient_enums=*/false);
    const PathNode root{nullptr, key};
    // Built in place: GCC 12 reports a false "maybe uninitialized" on a moved-in temporary.
    DecodeResult<ClientMessage> result{tl::in_place, std::in_place_type<M>};
    if (!decoder.read(body, root, std::get<M>(*result)))
        return tl::unexpected(decoder.take_error());
    return result;
}

}  // namespace

DecodeResult<ClientMessage> decode_client_message(std::string_view text) {
    try {
        Json doc;
        if (auto error = parse_document(text, doc))
            return tl::unexpected(std::move(*error));
        const auto& members = doc.get_ref<const Json::object_t&>();
        if (members.empty()) {
            return tl::unexpected(DecodeError{
                ProtocolError::kNoMessageKey,
                "message: empty object; expected one of setup, clientContent, realtimeInput, "
                "toolResponse, contextUpdate"});
        }
        if (members.size() > 1) {
            std::string keys;
            for (const auto& kv : members)
                keys += (keys.empty() ? "" : ", ") + quote_for_error(kv.first);
            return tl::unexpected(DecodeError{ProtocolError::kMultipleMessageKeys,
                                              "message: " + std::to_string(members.size()) +
                                                  " top-level keys (" + keys +
                                                  "); send exactly one message per frame"});
        }
        const auto& [key, body] = *members.begin();
        if (key_matches(key, "setup"))
            return decode_body<Setup>(body, "setup");
        if (key_matches(key, "clientContent"))
            return decode_body<ClientContent>(body, "clientContent");
        if (key_matches(key, "realtimeInput"))
            return decode_body<RealtimeInput>(body, "realtimeInput");
        if (key_matches(key, "toolResponse"))
            return decode_body<ToolResponse>(body, "toolResponse");
        if (key_matches(key, "contextUpdate"))
            return decode_body<ContextUpdate>(body, "contextUpdate");
        return tl::unexpected(DecodeError{
            ProtocolError::kUnknownMessageKey,
            "message: unknown top-level key " + quote_for_error(key) +
                "; expected setup, clientContent, realtimeInput, toolResponse or contextUpdate"});
    } catch (const Json::exception& e) {  // not expected: every access above is type-checked
        return tl::unexpected(
            DecodeError{ProtocolError::kWrongType, std::string("message: ") + e.what()});
    }
}

DecodeResult<ServerMessage> decode_server_message(std::string_view text) {
    try {
        Json doc;
        if (auto error = parse_document(text, doc))
            return tl::unexpected(std::move(*error));
        Decoder decoder(/*lenient_enums=*/true);
        ServerMessage message;
        if (!decoder.read(doc, PathNode{}, message))
            return tl::unexpected(decoder.take_error());
        return message;
    } catch (const Json::exception& e) {  // not expected: every access above is type-checked
        return tl::unexpected(
            DecodeError{ProtocolError::kWrongType, std::string("message: ") + e.what()});
    }
}

}  // namespace parley::protocol

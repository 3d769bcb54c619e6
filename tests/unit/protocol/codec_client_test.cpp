// SPDX-License-Identifier: Apache-2.0
// Client messages encoded from C++ structs must be byte-identical to what the official JS SDK
// (@google/genai 2.32.0) sends; the golden lines were captured with sdk_capture.mjs
// (LIVE_PROTOCOL.md §4). Also: every golden line decodes back to the struct it came from.
#include "protocol/codec.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace parley::protocol {
namespace {

Setup full_setup() {
    protocol::Setup s;
    s.model = "models/gemini-2.5-flash-native-audio-preview-09-2025";
    GenerationConfig g;
    g.response_modalities = std::vector<Modality>{Modality::kAudio};
    g.temperature = 0.7;
    g.speech_config = SpeechConfig{
        .voice_config =
            VoiceConfig{.prebuilt_voice_config = PrebuiltVoiceConfig{.voice_name = "Kore"}},
        .language_code = "en-US"};
    g.enable_affective_dialog = true;
    s.generation_config = g;
    s.system_instruction = text_content("You are a helpful assistant.");
    FunctionDeclaration get_time;
    get_time.name = "get_time";
    get_time.description = "current time";
    get_time.parameters =
        Json{{"type", "OBJECT"}, {"properties", Json{{"tz", Json{{"type", "STRING"}}}}}};
    Tool tool;
    tool.function_declarations = std::vector<FunctionDeclaration>{get_time};
    s.tools = std::vector<Tool>{tool};
    s.session_resumption = SessionResumptionConfig{.handle = "prev-handle", .transparent = {}};
    s.input_audio_transcription = AudioTranscriptionConfig{};
    s.output_audio_transcription = AudioTranscriptionConfig{};
    s.realtime_input_config = RealtimeInputConfig{
        .automatic_activity_detection =
            AutomaticActivityDetection{.disabled = false,
                                       .start_of_speech_sensitivity = StartSensitivity::kLow,
                                       .end_of_speech_sensitivity = EndSensitivity::kLow,
                                       .prefix_padding_ms = 20,
                                       .silence_duration_ms = 100},
        .activity_handling = ActivityHandling::kStartOfActivityInterrupts,
        .turn_coverage = TurnCoverage::kIncludesOnlyActivity,
        .interim_transcript_timestamp_enabled = {}};
    s.context_window_compression = ContextWindowCompression{
        .trigger_tokens = 25600, .sliding_window = SlidingWindow{.target_tokens = 12800}};
    s.proactivity = ProactivityConfig{.proactive_audio = true};
    return s;
}

constexpr const char* kFullSetup =
    R"({"setup":{"model":"models/gemini-2.5-flash-native-audio-preview-09-2025",)"
    R"("generationConfig":{"responseModalities":["AUDIO"],"temperature":0.7,)"
    R"("speechConfig":{"voiceConfig":{"prebuiltVoiceConfig":{"voiceName":"Kore"}},"languageCode":"en-US"},)"
    R"("enableAffectiveDialog":true},)"
    R"("systemInstruction":{"parts":[{"text":"You are a helpful assistant."}],"role":"user"},)"
    R"("tools":[{"functionDeclarations":[{"name":"get_time","description":"current time",)"
    R"("parameters":{"type":"OBJECT","properties":{"tz":{"type":"STRING"}}}}]}],)"
    R"("sessionResumption":{"handle":"prev-handle"},)"
    R"("inputAudioTranscription":{},"outputAudioTranscription":{},)"
    R"("realtimeInputConfig":{"automaticActivityDetection":{"disabled":false,)"
    R"("startOfSpeechSensitivity":"START_SENSITIVITY_LOW","endOfSpeechSensitivity":"END_SENSITIVITY_LOW",)"
    R"("prefixPaddingMs":20,"silenceDurationMs":100},)"
    R"("activityHandling":"START_OF_ACTIVITY_INTERRUPTS",)"
    R"("turnCoverage":"TURN_INCLUDES_ONLY_ACTIVITY"},)"
    R"("contextWindowCompression":{"triggerTokens":"25600","slidingWindow":{"targetTokens":"12800"}},)"
    R"("proactivity":{"proactiveAudio":true}}})";

TEST(CodecClientTest, FullSetupMatchesSdkByteForByte) {
    EXPECT_EQ(encode_client_message(full_setup()), kFullSetup);
}

TEST(CodecClientTest, FullSetupDecodesToTheSameStruct) {
    auto decoded = decode_client_message(kFullSetup);
    ASSERT_TRUE(decoded) << decoded.error().message;
    ASSERT_TRUE(std::holds_alternative<protocol::Setup>(*decoded));
    EXPECT_EQ(std::get<protocol::Setup>(*decoded), full_setup());
}

TEST(CodecClientTest, MinimalSetupIsModelOnly) {
    protocol::Setup s;
    s.model = "models/gemini-2.0-flash-live-001";
    EXPECT_EQ(encode_client_message(s),
              R"({"setup":{"model":"models/gemini-2.0-flash-live-001"}})");
}

TEST(CodecClientTest, GenerationConfigNumbersAndOrderMatchSdk) {
    // SDK: config {temperature:1.0, topP:0.95, topK:40, maxOutputTokens:100, seed:7,
    // mediaResolution:LOW, thinkingConfig:{thinkingBudget:0, includeThoughts:false}}.
    protocol::Setup s;
    s.model = "models/gemini-2.0-flash-live-001";
    GenerationConfig g;
    g.temperature = 1.0;
    g.top_p = 0.95;
    g.top_k = 40;
    g.max_output_tokens = 100;
    g.seed = 7;
    g.media_resolution = MediaResolution::kLow;
    g.thinking_config =
        ThinkingConfig{.include_thoughts = false, .thinking_budget = 0, .thinking_level = {}};
    s.generation_config = g;
    EXPECT_EQ(encode_client_message(s),
              R"({"setup":{"model":"models/gemini-2.0-flash-live-001","generationConfig":)"
              R"({"temperature":1,"topP":0.95,"topK":40,"maxOutputTokens":100,)"
              R"("mediaResolution":"MEDIA_RESOLUTION_LOW","seed":7,)"
              R"("thinkingConfig":{"thinkingBudget":0,"includeThoughts":false}}}})");
}

Blob blob_of(std::vector<std::uint8_t> bytes, std::string mime) {
    return Blob{.data = std::move(bytes), .mime_type = std::move(mime)};
}

struct RealtimeCase {
    const char* name;
    RealtimeInput input;
    const char* wire;
};

std::vector<RealtimeCase> realtime_cases() {
    const std::vector<std::uint8_t> pcm = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    return {
        {"audio", RealtimeInput{AudioInput{blob_of(pcm, "audio/pcm;rate=16000")}},
         R"({"realtimeInput":{"audio":{"data":"AAECAwQFBgcICQ==","mimeType":"audio/pcm;rate=16000"}}})"},
        {"video", RealtimeInput{VideoInput{blob_of({0xff, 0xd8, 0xff, 0xe0}, "image/jpeg")}},
         R"({"realtimeInput":{"video":{"data":"/9j/4A==","mimeType":"image/jpeg"}}})"},
        {"text", RealtimeInput{TextInput{"hi there"}}, R"({"realtimeInput":{"text":"hi there"}})"},
        {"activityStart", RealtimeInput{ActivityStart{}},
         R"({"realtimeInput":{"activityStart":{}}})"},
        {"activityEnd", RealtimeInput{ActivityEnd{}}, R"({"realtimeInput":{"activityEnd":{}}})"},
        {"audioStreamEnd", RealtimeInput{AudioStreamEnd{}},
         R"({"realtimeInput":{"audioStreamEnd":true}})"},
        {"mediaChunks", RealtimeInput{MediaChunks{{blob_of(pcm, "audio/pcm;rate=16000")}}},
         R"({"realtimeInput":{"mediaChunks":[{"data":"AAECAwQFBgcICQ==","mimeType":"audio/pcm;rate=16000"}]}})"},
    };
}

TEST(CodecClientTest, EveryRealtimeInputMatchesSdkAndDecodesBack) {
    for (const auto& c : realtime_cases()) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(encode_client_message(c.input), c.wire);
        auto decoded = decode_client_message(c.wire);
        ASSERT_TRUE(decoded) << decoded.error().message;
        ASSERT_TRUE(std::holds_alternative<RealtimeInput>(*decoded));
        EXPECT_EQ(std::get<RealtimeInput>(*decoded), c.input);
    }
}

TEST(CodecClientTest, ClientContentMatchesSdk) {
    ClientContent hello{.turns = std::vector<Content>{text_content("Hello?")},
                        .turn_complete = true};
    EXPECT_EQ(
        encode_client_message(hello),
        R"({"clientContent":{"turns":[{"parts":[{"text":"Hello?"}],"role":"user"}],"turnComplete":true}})");

    ClientContent prefill{
        .turns = std::vector<Content>{text_content("a", "user"), text_content("b", "model")},
        .turn_complete = false};
    EXPECT_EQ(encode_client_message(prefill),
              R"({"clientContent":{"turns":[{"parts":[{"text":"a"}],"role":"user"},)"
              R"({"parts":[{"text":"b"}],"role":"model"}],"turnComplete":false}})");

    ClientContent complete{.turns = {}, .turn_complete = true};
    EXPECT_EQ(encode_client_message(complete), R"({"clientContent":{"turnComplete":true}})");
}

TEST(CodecClientTest, FunctionCallPartInTurnsUsesSdkOrder) {
    Part call;
    call.function_call = FunctionCall{.id = "c1", .name = "f", .args = Json{{"a", 1}}};
    ClientContent content{.turns = std::vector<Content>{Content{.parts = {call}, .role = "model"}},
                          .turn_complete = false};
    const std::string wire =
        R"({"clientContent":{"turns":[{"parts":[{"functionCall":{"args":{"a":1},"id":"c1","name":"f"}}],)"
        R"("role":"model"}],"turnComplete":false}})";
    EXPECT_EQ(encode_client_message(content), wire);
    auto decoded = decode_client_message(wire);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(std::get<ClientContent>(*decoded), content);
}

TEST(CodecClientTest, ToolResponseMatchesSdk) {
    ToolResponse r;
    r.function_responses.push_back(FunctionResponse{.id = "call-1",
                                                    .name = "get_time",
                                                    .response = Json{{"output", "12:00"}},
                                                    .scheduling = {},
                                                    .will_continue = {}});
    const std::string wire =
        R"({"toolResponse":{"functionResponses":[{"id":"call-1","name":"get_time","response":{"output":"12:00"}}]}})";
    EXPECT_EQ(encode_client_message(r), wire);
    auto decoded = decode_client_message(wire);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(std::get<ToolResponse>(*decoded), r);
}

TEST(CodecClientTest, ContextUpdateMatchesSdk) {
    ContextUpdate u{.system_instruction = text_content("Be brief."), .tools = {}};
    EXPECT_EQ(
        encode_client_message(u),
        R"({"contextUpdate":{"systemInstruction":{"parts":[{"text":"Be brief."}],"role":"user"}}})");
    Tool search;
    search.other = Json{{"googleSearch", Json::object()}};
    u.tools = std::vector<Tool>{search};
    const std::string wire =
        R"({"contextUpdate":{"systemInstruction":{"parts":[{"text":"Be brief."}],"role":"user"},)"
        R"("tools":{"tools":[{"googleSearch":{}}]}}})";
    EXPECT_EQ(encode_client_message(u), wire);
    auto decoded = decode_client_message(wire);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(std::get<ContextUpdate>(*decoded), u);
}

TEST(CodecClientTest, OtherToolKindsKeepSdkOrderAroundFunctionDeclarations) {
    protocol::Setup s;
    s.model = "models/m";
    Tool t;
    t.other = Json{{"googleSearch", Json::object()}, {"codeExecution", Json::object()}};
    t.function_declarations = std::vector<FunctionDeclaration>{FunctionDeclaration{.name = "f"}};
    s.tools = std::vector<Tool>{t};
    // toolToMldev: codeExecution, functionDeclarations, googleSearch.
    EXPECT_EQ(encode_client_message(s),
              R"({"setup":{"model":"models/m","tools":[{"codeExecution":{},)"
              R"("functionDeclarations":[{"name":"f"}],"googleSearch":{}}]}})");
}

TEST(CodecClientTest, StringsAreEscapedLikeJsonStringify) {
    RealtimeInput in{TextInput{"quote \" backslash \\ newline \n tab \t bell \x07 caf\xC3\xA9"}};
    EXPECT_EQ(encode_client_message(in),
              "{\"realtimeInput\":{\"text\":\"quote \\\" backslash \\\\ newline \\n tab \\t bell "
              "\\u0007 caf\xC3\xA9\"}}");
}

TEST(CodecClientTest, InvalidUtf8IsReplacedNotPassedThrough) {
    RealtimeInput in{
        TextInput{std::string("a\xFF"
                              "b")}};
    const std::string wire = encode_client_message(in);
    EXPECT_EQ(wire,
              "{\"realtimeInput\":{\"text\":\"a\xEF\xBF\xBD"
              "b\"}}");
    EXPECT_TRUE(decode_client_message(wire));
}

TEST(CodecClientTest, VariantOverloadEncodesTheSameAsTheDirectOne) {
    const ClientMessage m = full_setup();
    EXPECT_EQ(encode_client_message(m), kFullSetup);
}

}  // namespace
}  // namespace parley::protocol

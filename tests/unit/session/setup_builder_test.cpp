// SPDX-License-Identifier: Apache-2.0
// make_setup: a LiveSessionConfig becomes the setup JSON the official SDK sends
// (LIVE_PROTOCOL.md §4.1), and defaults leave the server's own defaults alone.
#include "session/setup_builder.hpp"

#include <gtest/gtest.h>

#include "protocol/codec.hpp"

namespace parley::session {
namespace {

TEST(SetupBuilderTest, DefaultsSendOnlyWhatTheSessionNeeds) {
    LiveSessionConfig config;
    const auto json = protocol::encode_client_message(make_setup(config, "models/m", ""));
    EXPECT_EQ(
        json,
        R"({"setup":{"model":"models/m","generationConfig":{"responseModalities":["AUDIO"]},)"
        R"("sessionResumption":{},"inputAudioTranscription":{},"outputAudioTranscription":{}}})");
}

TEST(SetupBuilderTest, EverySettingLandsWhereTheSdkPutsIt) {
    LiveSessionConfig config;
    config.voice_name = "Kore";
    config.language_code = "en-US";
    config.system_instruction = "You are a helpful assistant.";
    config.temperature = 0.7;
    config.enable_affective_dialog = true;
    config.proactive_audio = true;
    protocol::FunctionDeclaration get_time;
    get_time.name = "get_time";
    get_time.description = "current time";
    get_time.parameters =
        protocol::Json::parse(R"({"type":"OBJECT","properties":{"tz":{"type":"STRING"}}})");
    config.functions = {get_time};
    config.activity_detection = {.disabled = false,
                                 .start_of_speech_sensitivity = protocol::StartSensitivity::kLow,
                                 .end_of_speech_sensitivity = protocol::EndSensitivity::kLow,
                                 .prefix_padding = std::chrono::milliseconds(20),
                                 .silence_duration = std::chrono::milliseconds(100)};
    config.activity_handling = protocol::ActivityHandling::kStartOfActivityInterrupts;
    config.turn_coverage = protocol::TurnCoverage::kIncludesOnlyActivity;
    config.compression = {.enabled = true, .trigger_tokens = 25600, .target_tokens = 12800};
    const auto json =
        protocol::encode_client_message(make_setup(config, "models/gemini-x", "prev-handle"));
    // The SDK's own output for the same settings, as recorded in LIVE_PROTOCOL.md §4.1 (less
    // the fields this config does not have: no "disabled":false is sent, as it is the default).
    EXPECT_EQ(
        json,
        R"({"setup":{"model":"models/gemini-x","generationConfig":{"responseModalities":["AUDIO"],)"
        R"("temperature":0.7,"speechConfig":{"voiceConfig":{"prebuiltVoiceConfig":{"voiceName":"Kore"}},)"
        R"("languageCode":"en-US"},"enableAffectiveDialog":true},)"
        R"("systemInstruction":{"parts":[{"text":"You are a helpful assistant."}],"role":"user"},)"
        R"("tools":[{"functionDeclarations":[{"name":"get_time","description":"current time",)"
        R"("parameters":{"type":"OBJECT","properties":{"tz":{"type":"STRING"}}}}]}],)"
        R"("sessionResumption":{"handle":"prev-handle"},)"
        R"("inputAudioTranscription":{},"outputAudioTranscription":{},)"
        R"("realtimeInputConfig":{"automaticActivityDetection":{)"
        R"("startOfSpeechSensitivity":"START_SENSITIVITY_LOW","endOfSpeechSensitivity":"END_SENSITIVITY_LOW",)"
        R"("prefixPaddingMs":20,"silenceDurationMs":100},)"
        R"("activityHandling":"START_OF_ACTIVITY_INTERRUPTS","turnCoverage":"TURN_INCLUDES_ONLY_ACTIVITY"},)"
        R"("contextWindowCompression":{"triggerTokens":"25600","slidingWindow":{"targetTokens":"12800"}},)"
        R"("proactivity":{"proactiveAudio":true}}})");
}

TEST(SetupBuilderTest, TextModalityManualActivityAndNoResumption) {
    LiveSessionConfig config;
    config.response_modality = ResponseModality::kText;
    config.activity_detection.disabled = true;
    config.resumption.enabled = false;
    config.input_transcription = false;
    config.output_transcription = false;
    const auto setup = make_setup(config, "models/m", "ignored-handle");
    ASSERT_TRUE(setup.generation_config);
    EXPECT_EQ(setup.generation_config->response_modalities, std::vector{protocol::Modality::kText});
    ASSERT_TRUE(setup.realtime_input_config);
    EXPECT_EQ(setup.realtime_input_config->automatic_activity_detection->disabled, true);
    EXPECT_FALSE(setup.session_resumption);
    EXPECT_FALSE(setup.input_audio_transcription);
    EXPECT_FALSE(setup.output_audio_transcription);
}

TEST(SetupBuilderTest, GoogleSearchAndDefaultCompression) {
    LiveSessionConfig config;
    config.google_search = true;
    config.compression.enabled = true;
    const auto json = protocol::encode_client_message(make_setup(config, "models/m", ""));
    EXPECT_NE(json.find(R"("tools":[{"googleSearch":{}}])"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("contextWindowCompression":{"slidingWindow":{}})"), std::string::npos)
        << json;
}

}  // namespace
}  // namespace parley::session

// SPDX-License-Identifier: Apache-2.0
// Decoder leniency (snake_case, int64 as number or string, nulls, unknown fields) and
// strictness: a table of malformed inputs, each with its own ProtocolError and a message that
// names the field.
#include "protocol/codec.hpp"

#include <string>
#include <system_error>

#include <gtest/gtest.h>

namespace parley::protocol {
namespace {

TEST(CodecDecodeTest, SnakeCaseClientMessagesAreAccepted) {
    auto audio = decode_client_message(
        R"({"realtime_input":{"audio":{"data":"AAEC","mime_type":"audio/pcm;rate=16000"}}})");
    ASSERT_TRUE(audio) << audio.error().message;
    const auto& blob = std::get<AudioInput>(std::get<RealtimeInput>(*audio).input).audio;
    EXPECT_EQ(blob.data, (std::vector<std::uint8_t>{0, 1, 2}));
    EXPECT_EQ(blob.mime_type, "audio/pcm;rate=16000");

    auto setup = decode_client_message(
        R"({"setup":{"model":"models/m","generation_config":{"response_modalities":["TEXT"],"max_output_tokens":"64"},)"
        R"("system_instruction":{"parts":[{"text":"x"}]},"input_audio_transcription":{},)"
        R"("realtime_input_config":{"automatic_activity_detection":{"disabled":true,"silence_duration_ms":500}},)"
        R"("context_window_compression":{"trigger_tokens":1000,"sliding_window":{}},"session_resumption":{}}})");
    ASSERT_TRUE(setup) << setup.error().message;
    const auto& s = std::get<protocol::Setup>(*setup);
    EXPECT_EQ(s.generation_config->response_modalities, std::vector<Modality>{Modality::kText});
    EXPECT_EQ(s.generation_config->max_output_tokens, 64);
    EXPECT_EQ(s.system_instruction->parts.at(0).text, "x");
    EXPECT_TRUE(s.input_audio_transcription);
    EXPECT_FALSE(s.output_audio_transcription);
    EXPECT_EQ(s.realtime_input_config->automatic_activity_detection->disabled, true);
    EXPECT_EQ(s.realtime_input_config->automatic_activity_detection->silence_duration_ms, 500);
    EXPECT_EQ(s.context_window_compression->trigger_tokens, 1000);
    EXPECT_TRUE(s.context_window_compression->sliding_window);
    EXPECT_FALSE(s.context_window_compression->sliding_window->target_tokens);
    EXPECT_TRUE(s.session_resumption);
    EXPECT_FALSE(s.session_resumption->handle);

    auto content = decode_client_message(
        R"({"client_content":{"turns":[{"parts":[{"text":"hi"}],"role":"user"}],"turn_complete":true}})");
    ASSERT_TRUE(content) << content.error().message;
    EXPECT_EQ(std::get<ClientContent>(*content).turn_complete, true);

    auto tool = decode_client_message(
        R"({"tool_response":{"function_responses":[{"id":"1","name":"f","response":{"ok":true},"will_continue":false}]}})");
    ASSERT_TRUE(tool) << tool.error().message;
    EXPECT_EQ(std::get<ToolResponse>(*tool).function_responses.at(0).will_continue, false);

    auto end = decode_client_message(R"({"realtime_input":{"audio_stream_end":true}})");
    ASSERT_TRUE(end);
    EXPECT_TRUE(std::holds_alternative<AudioStreamEnd>(std::get<RealtimeInput>(*end).input));
}

TEST(CodecDecodeTest, SnakeCaseServerMessagesAreAccepted) {
    auto m = decode_server_message(
        R"({"server_content":{"model_turn":{"parts":[{"inline_data":{"mime_type":"audio/pcm","data":"AAA="}}]},)"
        R"("turn_complete":true,"output_transcription":{"text":"x"}},"go_away":{"time_left":"1.5s"},)"
        R"("usage_metadata":{"total_token_count":"5"},"tool_call":{"function_calls":[{"id":"a","name":"f"}]}})");
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->server_content->model_turn->parts.at(0).inline_data->mime_type, "audio/pcm");
    EXPECT_EQ(m->server_content->turn_complete, true);
    EXPECT_EQ(m->server_content->output_transcription->text, "x");
    EXPECT_EQ(m->go_away->time_left, Duration(std::chrono::milliseconds(1500)));
    EXPECT_EQ(m->usage_metadata->total_token_count, 5);
    EXPECT_EQ(m->tool_call->function_calls.at(0).args, Json::object());
}

TEST(CodecDecodeTest, Int64AsNumberOrString) {
    for (
        const char* wire :
        {R"({"setup":{"model":"m","contextWindowCompression":{"triggerTokens":"9007199254740993"}}})",
         R"({"setup":{"model":"m","contextWindowCompression":{"triggerTokens":9007199254740993}}})"}) {
        SCOPED_TRACE(wire);
        auto d = decode_client_message(wire);
        ASSERT_TRUE(d) << d.error().message;
        EXPECT_EQ(std::get<protocol::Setup>(*d).context_window_compression->trigger_tokens,
                  9007199254740993LL);
    }
    auto neg = decode_client_message(
        R"({"setup":{"model":"m","contextWindowCompression":{"triggerTokens":"-5"}}})");
    ASSERT_TRUE(neg);
    EXPECT_EQ(std::get<protocol::Setup>(*neg).context_window_compression->trigger_tokens, -5);
    auto integral_float =
        decode_client_message(R"({"setup":{"model":"m","generationConfig":{"topK":40.0}}})");
    ASSERT_TRUE(integral_float);
    EXPECT_EQ(std::get<protocol::Setup>(*integral_float).generation_config->top_k, 40);
}

TEST(CodecDecodeTest, NullMeansAbsentAndUnknownFieldsAreIgnored) {
    auto d = decode_client_message(
        R"({"setup":{"model":"m","generationConfig":null,"somethingNew":{"a":[1]},"tools":[{"googleSearch":{},"url_context":{}}]}})");
    ASSERT_TRUE(d) << d.error().message;
    const auto& s = std::get<protocol::Setup>(*d);
    EXPECT_FALSE(s.generation_config);
    ASSERT_TRUE(s.tools);
    // Unmodelled tool kinds are kept, camelCased, and re-emitted.
    EXPECT_EQ(s.tools->at(0).other,
              (Json{{"googleSearch", Json::object()}, {"urlContext", Json::object()}}));
    EXPECT_EQ(encode_client_message(s),
              R"({"setup":{"model":"m","tools":[{"googleSearch":{},"urlContext":{}}]}})");
}

TEST(CodecDecodeTest, AudioStreamEndFalseCarriesNothing) {
    auto d = decode_client_message(R"({"realtimeInput":{"audioStreamEnd":false,"text":"hi"}})");
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(std::get<TextInput>(std::get<RealtimeInput>(*d).input).text, "hi");
}

TEST(CodecDecodeTest, DecodeErrorConvertsToErrorCode) {
    auto d = decode_client_message("nope");
    ASSERT_FALSE(d);
    const std::error_code ec = d.error();
    EXPECT_EQ(ec, ProtocolError::kNotJson);
    EXPECT_STREQ(ec.category().name(), "parley.protocol");
    EXPECT_FALSE(ec.message().empty());
    Result<ClientMessage> r = to_result(std::move(d));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), ProtocolError::kNotJson);
}

struct Malformed {
    const char* wire;
    bool server;  // decode as a server message instead of a client message
    ProtocolError code;
    const char* message;  // exact DecodeError::message
};

class MalformedTest : public testing::TestWithParam<Malformed> {};

TEST_P(MalformedTest, ReportsCodeAndFieldPath) {
    const Malformed& c = GetParam();
    SCOPED_TRACE(c.wire);
    DecodeError error;
    if (c.server) {
        auto d = decode_server_message(c.wire);
        ASSERT_FALSE(d);
        error = d.error();
    } else {
        auto d = decode_client_message(c.wire);
        ASSERT_FALSE(d);
        error = d.error();
    }
    EXPECT_EQ(error.code, c.code) << error.message;
    EXPECT_EQ(error.message, c.message);
}

const Malformed kMalformed[] = {
    {R"({"setup":)", false, ProtocolError::kNotJson,
     "message: not valid JSON (syntax error at byte 10)"},
    {"", false, ProtocolError::kNotJson, "message: not valid JSON (syntax error at byte 1)"},
    {R"([{"setup":{}}])", false, ProtocolError::kNotObject,
     "message: expected a JSON object, got an array"},
    {R"("setup")", true, ProtocolError::kNotObject,
     "message: expected a JSON object, got a string"},
    {R"({})", false, ProtocolError::kNoMessageKey,
     "message: empty object; expected one of setup, clientContent, realtimeInput, toolResponse, "
     "contextUpdate"},
    {R"({"setup":{"model":"m"},"realtimeInput":{"text":"x"}})", false,
     ProtocolError::kMultipleMessageKeys,
     R"(message: 2 top-level keys ("setup", "realtimeInput"); send exactly one message per frame)"},
    {R"({"serverContent":{}})", false, ProtocolError::kUnknownMessageKey,
     R"(message: unknown top-level key "serverContent"; expected setup, clientContent, realtimeInput, toolResponse or contextUpdate)"},
    {R"({"setup":{"model":"m","generationConfig":{"temperature":"0.7"}}})", false,
     ProtocolError::kWrongType,
     "setup.generationConfig.temperature: expected a number, got a string"},
    {R"({"setup":{"generationConfig":{}}})", false, ProtocolError::kMissingField,
     "setup.model: missing; this field is required"},
    {R"({"setup":"models/m"})", false, ProtocolError::kWrongType,
     "setup: expected an object, got a string"},
    {R"({"realtimeInput":{"audio":{"data":"AAECAwQFBgcI*QoL","mimeType":"audio/pcm;rate=16000"}}})",
     false, ProtocolError::kBadBase64, "realtimeInput.audio.data: invalid base64 at offset 12"},
    {R"({"realtimeInput":{"mediaChunks":[{"data":"AAA=","mimeType":"audio/pcm"},{"data":"A","mimeType":"audio/pcm"}]}})",
     false, ProtocolError::kBadBase64,
     "realtimeInput.mediaChunks[1].data: invalid base64 at offset 0"},
    {R"({"realtimeInput":{"audio":{"data":"AAA=","mimeType":"audio/pcm"},"text":"hi"}})", false,
     ProtocolError::kMultipleFields,
     "realtimeInput: carries audio and text; send one field per realtimeInput message"},
    {R"({"realtimeInput":{}})", false, ProtocolError::kMissingField,
     "realtimeInput: no input; expected one of audio, video, text, activityStart, activityEnd, "
     "audioStreamEnd, mediaChunks"},
    {R"({"realtimeInput":{"activityStart":true}})", false, ProtocolError::kWrongType,
     "realtimeInput.activityStart: expected an object, got a boolean"},
    {R"({"setup":{"model":"m","realtimeInputConfig":{"automaticActivityDetection":{"startOfSpeechSensitivity":"LOUD"}}}})",
     false, ProtocolError::kBadEnum,
     R"(setup.realtimeInputConfig.automaticActivityDetection.startOfSpeechSensitivity: unknown value "LOUD"; expected one of START_SENSITIVITY_HIGH, START_SENSITIVITY_LOW)"},
    {R"({"setup":{"model":"m","generationConfig":{"responseModalities":["AUDIO","SMELL"]}}})",
     false, ProtocolError::kBadEnum,
     R"(setup.generationConfig.responseModalities[1]: unknown value "SMELL"; expected one of TEXT, IMAGE, AUDIO, VIDEO)"},
    {R"({"setup":{"model":"m","contextWindowCompression":{"triggerTokens":"lots"}}})", false,
     ProtocolError::kBadInteger,
     R"(setup.contextWindowCompression.triggerTokens: expected an integer string, got "lots")"},
    {R"({"setup":{"model":"m","generationConfig":{"topK":3000000000}}})", false,
     ProtocolError::kBadInteger,
     "setup.generationConfig.topK: integer out of range [-2147483648, 2147483647]"},
    {R"({"setup":{"model":"m","generationConfig":{"seed":1.5}}})", false,
     ProtocolError::kBadInteger,
     "setup.generationConfig.seed: expected an integer, got a fraction"},
    {R"({"toolResponse":{"functionResponses":[{"id":"1","response":{}}]}})", false,
     ProtocolError::kMissingField,
     "toolResponse.functionResponses[0].name: missing; this field is required"},
    {R"({"toolResponse":{"functionResponses":[{"id":"1","name":"f","response":"ok"}]}})", false,
     ProtocolError::kWrongType,
     "toolResponse.functionResponses[0].response: expected an object, got a string"},
    {R"({"clientContent":{"turns":{"parts":[]}}})", false, ProtocolError::kWrongType,
     "clientContent.turns: expected an array, got an object"},
    {R"({"goAway":{"timeLeft":"50 seconds"}})", true, ProtocolError::kBadDuration,
     R"(goAway.timeLeft: expected a duration like "50s" or "0.440s", got "50 seconds")"},
    {R"({"voiceActivity":{"audioOffset":0.44}})", true, ProtocolError::kWrongType,
     R"(voiceActivity.audioOffset: expected a duration string like "50s", got a number)"},
    {R"({"serverContent":{"turnComplete":"true"}})", true, ProtocolError::kWrongType,
     "serverContent.turnComplete: expected a boolean, got a string"},
    {R"({"serverContent":{"modelTurn":{"parts":[{"inlineData":{"mimeType":"audio/pcm","data":"@@@@"}}]}}})",
     true, ProtocolError::kBadBase64,
     "serverContent.modelTurn.parts[0].inlineData.data: invalid base64 at offset 0"},
    {R"({"toolCall":{"functionCalls":[{"id":"x","args":{}}]}})", true, ProtocolError::kMissingField,
     "toolCall.functionCalls[0].name: missing; this field is required"},
    {R"({"sessionResumptionUpdate":{"lastConsumedClientMessageIndex":"99999999999999999999"}})",
     true, ProtocolError::kBadInteger,
     "sessionResumptionUpdate.lastConsumedClientMessageIndex: integer out of range "
     "[-9223372036854775808, 9223372036854775807]"},
};

INSTANTIATE_TEST_SUITE_P(Table, MalformedTest, testing::ValuesIn(kMalformed));

TEST(CodecDecodeTest, DeepNestingIsRejectedBeforeParsing) {
    std::string deep =
        R"({"toolResponse":{"functionResponses":[{"id":"1","name":"f","response":{"a":)";
    for (int i = 0; i < 100000; ++i) deep += '[';
    for (int i = 0; i < 100000; ++i) deep += ']';
    deep += "}}]}}";
    auto d = decode_client_message(deep);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, ProtocolError::kTooDeep);
    // Brackets inside strings do not count.
    auto ok = decode_client_message(
        R"({"realtimeInput":{"text":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"[[["}})");
    EXPECT_TRUE(ok) << ok.error().message;
}

}  // namespace
}  // namespace parley::protocol

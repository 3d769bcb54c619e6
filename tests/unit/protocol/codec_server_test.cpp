// SPDX-License-Identifier: Apache-2.0
// Server messages: every example line of LIVE_PROTOCOL.md §5 decodes to the right values, and
// what the local server emits survives encode -> decode unchanged, in Google's key order.
#include "protocol/codec.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "protocol/audio.hpp"
#include "protocol/base64.hpp"

namespace parley::protocol {
namespace {

using namespace std::chrono_literals;

ServerMessage decode_ok(const std::string& wire) {
    auto m = decode_server_message(wire);
    EXPECT_TRUE(m) << wire << " -> " << (m ? "" : m.error().message);
    return m ? *m : ServerMessage{};
}

TEST(CodecServerTest, SetupComplete) {
    const auto m = decode_ok(R"({"setupComplete":{}})");
    ASSERT_TRUE(m.setup_complete);
    EXPECT_FALSE(m.setup_complete->session_id);
    EXPECT_FALSE(m.server_content);
    const auto vertex = decode_ok(R"({"setupComplete":{"sessionId":"abc-123"}})");
    ASSERT_TRUE(vertex.setup_complete);
    EXPECT_EQ(vertex.setup_complete->session_id, "abc-123");
}

TEST(CodecServerTest, AudioModelTurn) {
    const std::vector<std::uint8_t> pcm = {0x10, 0x00, 0xF0, 0xFF, 0x01, 0x80};
    const auto m = decode_ok(
        R"({"serverContent":{"modelTurn":{"parts":[{"inlineData":{"mimeType":"audio/pcm;rate=24000","data":")" +
        base64_encode(pcm) + R"("}}]}}})");
    ASSERT_TRUE(m.server_content && m.server_content->model_turn);
    ASSERT_EQ(m.server_content->model_turn->parts.size(), 1u);
    const auto& blob = m.server_content->model_turn->parts[0].inline_data;
    ASSERT_TRUE(blob);
    EXPECT_EQ(blob->mime_type, "audio/pcm;rate=24000");
    EXPECT_EQ(blob->data, pcm);
    EXPECT_EQ(pcm16_samples(blob->data), (std::vector<std::int16_t>{16, -16, -32767}));
}

TEST(CodecServerTest, TextAndThoughtParts) {
    const auto text = decode_ok(R"({"serverContent":{"modelTurn":{"parts":[{"text":"hello"}]}}})");
    ASSERT_TRUE(text.server_content && text.server_content->model_turn);
    EXPECT_EQ(text.server_content->model_turn->parts.at(0).text, "hello");
    EXPECT_FALSE(text.server_content->model_turn->parts.at(0).thought);

    const auto thought = decode_ok(
        R"({"serverContent":{"modelTurn":{"parts":[{"text":"**Planning**","thought":true}]}}})");
    const auto& part = thought.server_content->model_turn->parts.at(0);
    EXPECT_EQ(part.text, "**Planning**");
    EXPECT_EQ(part.thought, true);
}

TEST(CodecServerTest, Transcriptions) {
    const auto in =
        decode_ok(R"({"serverContent":{"inputTranscription":{"text":"what time is it"}}})");
    ASSERT_TRUE(in.server_content && in.server_content->input_transcription);
    EXPECT_EQ(in.server_content->input_transcription->text, "what time is it");
    EXPECT_FALSE(in.server_content->input_transcription->finished);
    const auto out =
        decode_ok(R"({"serverContent":{"outputTranscription":{"text":"It is","finished":true}}})");
    ASSERT_TRUE(out.server_content && out.server_content->output_transcription);
    EXPECT_EQ(out.server_content->output_transcription->text, "It is");
    EXPECT_EQ(out.server_content->output_transcription->finished, true);
}

TEST(CodecServerTest, GenerationCompleteAndInterrupted) {
    const auto gen = decode_ok(R"({"serverContent":{"generationComplete":true}})");
    EXPECT_EQ(gen.server_content->generation_complete, true);
    EXPECT_FALSE(gen.server_content->turn_complete);
    const auto intr = decode_ok(R"({"serverContent":{"interrupted":true}})");
    EXPECT_EQ(intr.server_content->interrupted, true);
}

TEST(CodecServerTest, TurnCompleteWithUsage) {
    const auto m = decode_ok(
        R"({"serverContent":{"turnComplete":true},"usageMetadata":{"promptTokenCount":412,"responseTokenCount":96,"totalTokenCount":508,)"
        R"("promptTokensDetails":[{"modality":"TEXT","tokenCount":300},{"modality":"AUDIO","tokenCount":112}],)"
        R"("responseTokensDetails":[{"modality":"AUDIO","tokenCount":96}]}})");
    EXPECT_EQ(m.server_content->turn_complete, true);
    ASSERT_TRUE(m.usage_metadata);
    const auto& u = *m.usage_metadata;
    EXPECT_EQ(u.prompt_token_count, 412);
    EXPECT_EQ(u.response_token_count, 96);
    EXPECT_EQ(u.total_token_count, 508);
    ASSERT_TRUE(u.prompt_tokens_details);
    ASSERT_EQ(u.prompt_tokens_details->size(), 2u);
    EXPECT_EQ((*u.prompt_tokens_details)[0].modality, MediaModality::kText);
    EXPECT_EQ((*u.prompt_tokens_details)[0].token_count, 300);
    EXPECT_EQ((*u.prompt_tokens_details)[1].modality, MediaModality::kAudio);
    EXPECT_EQ((*u.prompt_tokens_details)[1].token_count, 112);
    ASSERT_TRUE(u.response_tokens_details);
    EXPECT_EQ(u.response_tokens_details->at(0).token_count, 96);
}

TEST(CodecServerTest, VertexUsageNamesMapToResponse) {
    const auto m = decode_ok(
        R"({"usageMetadata":{"promptTokenCount":"10","candidatesTokenCount":7,"totalTokenCount":17,)"
        R"("candidatesTokensDetails":[{"modality":"AUDIO","tokenCount":7}]}})");
    ASSERT_TRUE(m.usage_metadata);
    EXPECT_EQ(m.usage_metadata->prompt_token_count, 10);
    EXPECT_EQ(m.usage_metadata->response_token_count, 7);
    ASSERT_TRUE(m.usage_metadata->response_tokens_details);
    EXPECT_EQ(m.usage_metadata->response_tokens_details->at(0).modality, MediaModality::kAudio);
    EXPECT_TRUE(decode_ok(R"({"usageMetadata":{}})").usage_metadata);
}

TEST(CodecServerTest, ToolCallAndCancellation) {
    const auto call = decode_ok(
        R"({"toolCall":{"functionCalls":[{"id":"function-call-6216","name":"get_time","args":{"tz":"UTC"}}]}})");
    ASSERT_TRUE(call.tool_call);
    ASSERT_EQ(call.tool_call->function_calls.size(), 1u);
    const auto& fc = call.tool_call->function_calls[0];
    EXPECT_EQ(fc.id, "function-call-6216");
    EXPECT_EQ(fc.name, "get_time");
    EXPECT_EQ(fc.args, (Json{{"tz", "UTC"}}));

    const auto cancel = decode_ok(R"({"toolCallCancellation":{"ids":["function-call-6216"]}})");
    ASSERT_TRUE(cancel.tool_call_cancellation);
    EXPECT_EQ(cancel.tool_call_cancellation->ids, std::vector<std::string>{"function-call-6216"});
}

TEST(CodecServerTest, SessionResumptionUpdate) {
    const auto m =
        decode_ok(R"({"sessionResumptionUpdate":{"newHandle":"h-42","resumable":true}})");
    ASSERT_TRUE(m.session_resumption_update);
    EXPECT_EQ(m.session_resumption_update->new_handle, "h-42");
    EXPECT_EQ(m.session_resumption_update->resumable, true);
    EXPECT_FALSE(m.session_resumption_update->last_consumed_client_message_index);
    const auto vertex = decode_ok(
        R"({"sessionResumptionUpdate":{"newHandle":"","resumable":false,"lastConsumedClientMessageIndex":"9000000000"}})");
    EXPECT_EQ(vertex.session_resumption_update->resumable, false);
    EXPECT_EQ(vertex.session_resumption_update->last_consumed_client_message_index, 9'000'000'000);
}

TEST(CodecServerTest, GoAway) {
    const auto m = decode_ok(R"({"goAway":{"timeLeft":"50s"}})");
    ASSERT_TRUE(m.go_away && m.go_away->time_left);
    EXPECT_EQ(*m.go_away->time_left, 50s);
}

TEST(CodecServerTest, VoiceActivityWithEmptyServerContent) {
    const auto m = decode_ok(
        R"({"serverContent":{},"voiceActivity":{"voiceActivityType":"ACTIVITY_START","audioOffset":"0.440s"}})");
    ASSERT_TRUE(m.server_content);
    EXPECT_EQ(*m.server_content, ServerContent{});
    ASSERT_TRUE(m.voice_activity);
    EXPECT_EQ(m.voice_activity->voice_activity_type, VoiceActivityType::kActivityStart);
    EXPECT_EQ(m.voice_activity->audio_offset, Duration(440ms));
    const auto vertex = decode_ok(R"({"voiceActivity":{"type":"ACTIVITY_END"}})");
    EXPECT_EQ(vertex.voice_activity->voice_activity_type, VoiceActivityType::kActivityEnd);
    const auto signal =
        decode_ok(R"({"voiceActivityDetectionSignal":{"vadSignalType":"VAD_SIGNAL_TYPE_EOS"}})");
    ASSERT_TRUE(signal.voice_activity_detection_signal);
    EXPECT_EQ(signal.voice_activity_detection_signal->vad_signal_type, VadSignalType::kEndOfSpeech);
}

TEST(CodecServerTest, NewerServerContentFields) {
    const auto m = decode_ok(
        R"({"serverContent":{"turnComplete":true,"turnCompleteReason":"NEED_MORE_INPUT","waitingForInput":true,"interactionStatus":"IDLE"}})");
    EXPECT_EQ(m.server_content->turn_complete_reason, TurnCompleteReason::kNeedMoreInput);
    EXPECT_EQ(m.server_content->waiting_for_input, true);
    EXPECT_EQ(m.server_content->interaction_status, InteractionStatus::kIdle);
}

TEST(CodecServerTest, UnknownKeysAndNewEnumValuesDoNotLoseTheMessage) {
    const auto m = decode_ok(
        R"({"someFutureMessage":{"x":1},"serverContent":{"turnComplete":true,"futureField":[1,2],)"
        R"("turnCompleteReason":"A_REASON_FROM_2027"}})");
    ASSERT_TRUE(m.server_content);
    EXPECT_EQ(m.server_content->turn_complete, true);
    EXPECT_EQ(m.server_content->turn_complete_reason, TurnCompleteReason::kUnspecified);
}

// ---- what the local server emits: exact text and round trips ----

TEST(CodecServerTest, AudioChunkIsEmittedMimeTypeFirstLikeGoogle) {
    const std::vector<std::int16_t> samples = {1, -1, 256};
    const ServerMessage m = make_audio_output(samples);
    const std::string wire = encode_server_message(m);
    EXPECT_EQ(
        wire,
        R"({"serverContent":{"modelTurn":{"parts":[{"inlineData":{"mimeType":"audio/pcm;rate=24000","data":"AQD//wAB"}}]}}})");
    auto back = decode_server_message(wire);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, m);
    EXPECT_EQ(pcm16_samples(back->server_content->model_turn->parts[0].inline_data->data), samples);
}

TEST(CodecServerTest, ServerMessagesRoundTrip) {
    std::vector<ServerMessage> messages;
    messages.push_back(ServerMessage{.setup_complete = SetupComplete{}});
    {
        ServerMessage m;
        m.server_content = ServerContent{};
        m.server_content->output_transcription =
            Transcription{.text = "It is", .finished = {}, .language_code = {}};
        messages.push_back(m);
    }
    {
        ServerMessage m;
        m.server_content = ServerContent{};
        m.server_content->input_transcription =
            Transcription{.text = "what time is it", .finished = true, .language_code = "en-US"};
        messages.push_back(m);
    }
    {
        ServerMessage m;
        m.server_content = ServerContent{};
        m.server_content->generation_complete = true;
        messages.push_back(m);
    }
    {
        ServerMessage m;
        m.server_content = ServerContent{};
        m.server_content->turn_complete = true;
        m.usage_metadata = UsageMetadata{};
        m.usage_metadata->prompt_token_count = 412;
        m.usage_metadata->response_token_count = 96;
        m.usage_metadata->total_token_count = 508;
        m.usage_metadata->response_tokens_details =
            std::vector<ModalityTokenCount>{{.modality = MediaModality::kAudio, .token_count = 96}};
        messages.push_back(m);
    }
    {
        ServerMessage m;
        m.server_content = ServerContent{};
        m.server_content->interrupted = true;
        messages.push_back(m);
    }
    {
        ServerMessage m;
        m.tool_call = ToolCall{};
        m.tool_call->function_calls.push_back(
            FunctionCall{.id = "function-call-1", .name = "get_time", .args = Json{{"tz", "UTC"}}});
        messages.push_back(m);
    }
    messages.push_back(
        ServerMessage{.tool_call_cancellation = ToolCallCancellation{.ids = {"a", "b"}}});
    messages.push_back(ServerMessage{.go_away = GoAway{.time_left = Duration(50s)}});
    messages.push_back(ServerMessage{
        .session_resumption_update = SessionResumptionUpdate{
            .new_handle = "h", .resumable = true, .last_consumed_client_message_index = 12}});
    {
        ServerMessage m;
        m.server_content = ServerContent{};
        m.voice_activity = VoiceActivity{.voice_activity_type = VoiceActivityType::kActivityStart,
                                         .audio_offset = Duration(440ms)};
        messages.push_back(m);
    }
    {
        ServerMessage m;
        m.server_content = ServerContent{};
        m.server_content->model_turn = Content{};
        Part thought;
        thought.text = "**Planning**";
        thought.thought = true;
        Part text;
        text.text = "hello";
        m.server_content->model_turn->parts = {thought, text};
        m.server_content->model_turn->role = "model";
        messages.push_back(m);
    }
    for (const auto& m : messages) {
        const std::string wire = encode_server_message(m);
        SCOPED_TRACE(wire);
        auto back = decode_server_message(wire);
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(*back, m);
    }
}

TEST(CodecServerTest, EmittedTextMatchesGoogleExamples) {
    ServerMessage turn;
    turn.server_content = ServerContent{};
    turn.server_content->turn_complete = true;
    turn.usage_metadata = UsageMetadata{};
    turn.usage_metadata->prompt_token_count = 412;
    turn.usage_metadata->response_token_count = 96;
    turn.usage_metadata->total_token_count = 508;
    turn.usage_metadata->prompt_tokens_details =
        std::vector<ModalityTokenCount>{{.modality = MediaModality::kText, .token_count = 300},
                                        {.modality = MediaModality::kAudio, .token_count = 112}};
    turn.usage_metadata->response_tokens_details =
        std::vector<ModalityTokenCount>{{.modality = MediaModality::kAudio, .token_count = 96}};
    EXPECT_EQ(
        encode_server_message(turn),
        R"({"serverContent":{"turnComplete":true},"usageMetadata":{"promptTokenCount":412,"responseTokenCount":96,"totalTokenCount":508,)"
        R"("promptTokensDetails":[{"modality":"TEXT","tokenCount":300},{"modality":"AUDIO","tokenCount":112}],)"
        R"("responseTokensDetails":[{"modality":"AUDIO","tokenCount":96}]}})");
    EXPECT_EQ(encode_server_message(ServerMessage{.setup_complete = SetupComplete{}}),
              R"({"setupComplete":{}})");
    EXPECT_EQ(encode_server_message(ServerMessage{.go_away = GoAway{.time_left = Duration(50s)}}),
              R"({"goAway":{"timeLeft":"50s"}})");
    ServerMessage vad;
    vad.server_content = ServerContent{};
    vad.voice_activity = VoiceActivity{.voice_activity_type = VoiceActivityType::kActivityStart,
                                       .audio_offset = Duration(440ms)};
    EXPECT_EQ(
        encode_server_message(vad),
        R"({"serverContent":{},"voiceActivity":{"voiceActivityType":"ACTIVITY_START","audioOffset":"0.440s"}})");
    ServerMessage call;
    call.tool_call = ToolCall{};
    call.tool_call->function_calls.push_back(
        FunctionCall{.id = "function-call-6216", .name = "get_time", .args = Json{{"tz", "UTC"}}});
    EXPECT_EQ(
        encode_server_message(call),
        R"({"toolCall":{"functionCalls":[{"id":"function-call-6216","name":"get_time","args":{"tz":"UTC"}}]}})");
    EXPECT_EQ(encode_server_message(ServerMessage{
                  .session_resumption_update =
                      SessionResumptionUpdate{.new_handle = "x",
                                              .resumable = true,
                                              .last_consumed_client_message_index = {}}}),
              R"({"sessionResumptionUpdate":{"newHandle":"x","resumable":true}})");
}

}  // namespace
}  // namespace parley::protocol

// SPDX-License-Identifier: Apache-2.0
// The local server end to end over loopback: speech made by flite at test time goes in as a
// client would send it, and each test checks what the user would notice in what comes back.
#include "server/live_server.hpp"

#include <algorithm>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "live_test_client.hpp"
#include "support/flite_speech.hpp"
#include "support/test_audio.hpp"

namespace parley {
namespace {

using namespace std::chrono_literals;
using test::LiveTestClient;
using test::Samples;

Samples with_silence(Samples speech, int before_ms = 300, int after_ms = 1500) {
    Samples out(static_cast<std::size_t>(before_ms) * 16, 0);
    out.insert(out.end(), speech.begin(), speech.end());
    out.resize(out.size() + static_cast<std::size_t>(after_ms) * 16, 0);
    return out;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return std::regex_replace(s, std::regex("[^a-z0-9 ]+"), " ");
}

bool is_turn_complete(const protocol::ServerMessage& m) {
    return m.server_content && m.server_content->turn_complete.value_or(false);
}

std::string handle_in(const protocol::ServerMessage& m) {
    const auto& u = m.session_resumption_update;
    return u && u->resumable.value_or(false) && u->new_handle ? *u->new_handle : std::string();
}

// The newest resumption handle the server gave `client`, waiting for one; empty if none came.
std::string latest_resumption_handle(LiveTestClient& client) {
    std::string handle;
    client.wait_for([&](const auto& messages) {
        for (const auto& r : messages) {
            if (auto h = handle_in(r.message); !h.empty())
                handle = std::move(h);
        }
        return !handle.empty();
    });
    return handle;
}

// The first resumption handle after message `index`, waiting for it; empty if none came.
std::string handle_after(LiveTestClient& client, std::size_t index) {
    const auto at =
        client.wait_message([](const auto& m) { return !handle_in(m).empty(); }, index + 1);
    return at ? handle_in(client.messages().at(*at).message) : std::string();
}

protocol::Setup resumable_setup() {
    auto setup = test::transcribed_setup();
    setup.session_resumption = protocol::SessionResumptionConfig{};
    return setup;
}

// The resumption handles `client` held before and after the reply to "say purple elephants";
// empty where none came.
struct HandlesAroundReply {
    std::string before, after;
};
HandlesAroundReply say_purple_elephants(LiveTestClient& client) {
    HandlesAroundReply handles;
    handles.before = latest_resumption_handle(client);
    client.send_text_turn("say purple elephants");
    if (const auto done = client.wait_message(is_turn_complete))
        handles.after = handle_after(client, *done);
    return handles;
}

class LiveServerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        server::ServerOptions options;
        options.port = 0;
        auto started = server::LiveServer::start(options);
        ASSERT_TRUE(started) << started.error().message();
        server_ = std::move(*started);
    }
    static void TearDownTestSuite() { server_.reset(); }

    static std::unique_ptr<LiveTestClient> connect(
        const protocol::Setup& setup = test::transcribed_setup()) {
        return LiveTestClient::connect(server_->port(), setup);
    }

    static inline std::unique_ptr<server::LiveServer> server_;
};

TEST_F(LiveServerTest, SpokenQuestionIsAnsweredWithAudioAndBothTranscripts) {
    auto client = connect();
    client->send_audio(with_silence(test::speak("what is twelve times seven")));
    auto turn = client->next_turn();
    ASSERT_TRUE(turn);
    EXPECT_GT(turn->audio_seconds, 1.0);
    EXPECT_NE(lower(turn->input_text).find("twelve times seven"), std::string::npos)
        << turn->input_text;
    EXPECT_NE(lower(turn->output_text).find("eighty four"), std::string::npos) << turn->output_text;
    ASSERT_GE(turn->order.size(), 2u);
    EXPECT_EQ(turn->order[turn->order.size() - 2], "generationComplete");
    EXPECT_EQ(turn->order.back(), "turnComplete");
}

TEST_F(LiveServerTest, TypedTurnIsAnsweredInAudio) {
    auto client = connect();
    client->send_text_turn("say the quick brown fox");
    auto turn = client->next_turn();
    ASSERT_TRUE(turn);
    EXPECT_GT(turn->audio_seconds, 0.5);
    EXPECT_NE(lower(turn->output_text).find("the quick brown fox"), std::string::npos);
}

TEST_F(LiveServerTest, TextModalityAnswersInTextOnly) {
    auto setup = test::transcribed_setup();
    setup.generation_config = protocol::GenerationConfig{};
    setup.generation_config->response_modalities = std::vector{protocol::Modality::kText};
    auto client = connect(setup);
    client->send_text_turn("what is six plus seven");
    auto turn = client->next_turn();
    ASSERT_TRUE(turn);
    EXPECT_EQ(turn->audio_chunks, 0u);
    EXPECT_NE(lower(turn->text).find("thirteen"), std::string::npos) << turn->text;
}

TEST_F(LiveServerTest, TalkingOverTheStoryWhilePlayingInterruptsIt) {
    auto client = connect();
    client->send_text_turn("tell me a story");
    const auto generated = client->wait_message([](const auto& m) {
        return m.server_content && m.server_content->generation_complete.value_or(false);
    });
    ASSERT_TRUE(generated);
    std::this_thread::sleep_for(1s);
    EXPECT_FALSE(client->wait_message(is_turn_complete, 0, 10ms))
        << "turnComplete waits for playback";
    client->send_audio(with_silence(test::speak("what did you say before"), 0), 20ms, true);
    const auto interrupted = client->wait_message([](const auto& m) {
        return m.server_content && m.server_content->interrupted.value_or(false);
    });
    ASSERT_TRUE(interrupted);
    const auto story_end = client->wait_message(is_turn_complete);
    ASSERT_TRUE(story_end);
    const auto story = test::summarize(client->messages(), 0, *story_end);
    EXPECT_GT(story.audio_seconds, 20.0) << "the story is long enough to barge in";
    std::vector<std::string> events;
    std::copy_if(story.order.begin(), story.order.end(), std::back_inserter(events),
                 [](const auto& e) { return e != "audio"; });
    EXPECT_EQ(events,
              (std::vector<std::string>{"generationComplete", "interrupted", "turnComplete"}));
    const auto after = std::find(story.order.begin(), story.order.end(), "interrupted");
    EXPECT_EQ(std::count(after, story.order.end(), "audio"), 0) << "no audio after interrupted";
    // The question asked over the story is answered next, from a history that holds only the
    // part of the story that had been played: its ending was never heard.
    auto next = client->next_turn(*story_end + 1);
    ASSERT_TRUE(next);
    const auto recalled = lower(next->output_text);
    EXPECT_NE(recalled.find("once upon a time"), std::string::npos) << next->output_text;
    EXPECT_EQ(recalled.find("lamp still shines"), std::string::npos) << next->output_text;
}

TEST_F(LiveServerTest, ToolCallIsAnsweredThroughToolResponseThenSpoken) {
    auto setup = test::transcribed_setup();
    protocol::FunctionDeclaration declaration;
    declaration.name = "get_weather";
    declaration.description = "weather for a city";
    declaration.parameters = nlohmann::ordered_json::parse(
        R"({"type":"OBJECT","properties":{"city":{"type":"STRING"}}})");
    setup.tools = std::vector{protocol::Tool{.function_declarations = std::vector{declaration}}};
    auto client = connect(setup);
    // Typed: pocketsphinx often hears a spoken "get" as "yet", and every word of the function's
    // name must be said for the built-in brain to call it.
    client->send_text_turn("get the weather in paris");
    const auto call_at =
        client->wait_message([](const auto& m) { return m.tool_call.has_value(); });
    ASSERT_TRUE(call_at);
    const auto call = client->messages()[*call_at].message.tool_call->function_calls.at(0);
    EXPECT_EQ(call.name, "get_weather");
    ASSERT_TRUE(call.id);
    EXPECT_EQ(call.args.value("city", ""), "paris");
    // An answer for a call that does not exist is ignored; the real one is spoken.
    protocol::ToolResponse unknown;
    unknown.function_responses.push_back({"no-such-call", "get_weather", {{"output", "snow"}}});
    client->send(unknown);
    protocol::ToolResponse response;
    response.function_responses.push_back({call.id, call.name, {{"output", "sunny and warm"}}});
    client->send(response);
    auto turn = client->next_turn(*call_at);
    ASSERT_TRUE(turn);
    EXPECT_GT(turn->audio_seconds, 0.5);
    EXPECT_NE(lower(turn->output_text).find("sunny and warm"), std::string::npos)
        << turn->output_text;
    EXPECT_EQ(lower(turn->output_text).find("snow"), std::string::npos);
}

TEST_F(LiveServerTest, ManualActivityDelimitsTheTurn) {
    auto setup = test::transcribed_setup();
    setup.realtime_input_config = protocol::RealtimeInputConfig{};
    setup.realtime_input_config->automatic_activity_detection =
        protocol::AutomaticActivityDetection{.disabled = true};
    auto client = connect(setup);
    client->send(protocol::RealtimeInput{protocol::ActivityStart{}});
    auto speech = test::speak("say hello");
    speech.resize(speech.size() + 16 * 2000, 0);  // a pause that automatic detection would end on
    const auto world = test::speak("world");
    speech.insert(speech.end(), world.begin(), world.end());
    client->send_audio(speech);
    std::this_thread::sleep_for(500ms);
    EXPECT_FALSE(client->wait_message(
        [](const auto& m) { return m.server_content && m.server_content->model_turn; }, 0, 10ms))
        << "no reply before activityEnd";
    client->send(protocol::RealtimeInput{protocol::ActivityEnd{}});
    auto turn = client->next_turn();
    ASSERT_TRUE(turn);
    // One turn holds the words from both sides of the pause. (Which word "world" is heard as
    // depends on what the decoder heard before: pocketsphinx carries its cepstral mean over.)
    const auto heard = lower(turn->input_text);
    const auto hello = heard.find("hello");
    ASSERT_NE(hello, std::string::npos) << turn->input_text;
    EXPECT_NE(heard.find_first_not_of(' ', hello + 5), std::string::npos)
        << "nothing after the pause in '" << turn->input_text << "'";
    EXPECT_NE(lower(turn->output_text).find("hello"), std::string::npos) << turn->output_text;
}

TEST_F(LiveServerTest, EmptyManualActivityClosesWith1007) {
    auto setup = test::transcribed_setup();
    setup.realtime_input_config = protocol::RealtimeInputConfig{};
    setup.realtime_input_config->automatic_activity_detection =
        protocol::AutomaticActivityDetection{.disabled = true};
    auto client = connect(setup);
    client->send(protocol::RealtimeInput{protocol::ActivityStart{}});
    client->send(protocol::RealtimeInput{protocol::ActivityEnd{}});
    const auto closed = client->wait_closed();
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1007);
    EXPECT_EQ(closed->reason, "Precondition check failed.");
}

TEST_F(LiveServerTest, DroppedConnectionResumesWithItsHandleAndHistory) {
    auto setup = resumable_setup();
    auto first = connect(setup);
    const auto handles = say_purple_elephants(*first);
    ASSERT_FALSE(handles.after.empty());
    first->drop();
    setup.session_resumption->handle = handles.after;
    auto second = connect(setup);
    second->send_text_turn("what did I say before");
    auto turn = second->next_turn();
    ASSERT_TRUE(turn);
    EXPECT_NE(lower(turn->output_text).find("purple elephants"), std::string::npos)
        << turn->output_text;
    EXPECT_EQ(lower(turn->input_text).find("purple"), std::string::npos)
        << "the first turn was answered already: " << turn->input_text;
}

TEST_F(LiveServerTest, ResumingWithAHandleFromBeforeTheLastTurnCompleteAnswersThatReplyAgain) {
    // The connection was lost while the reply's turnComplete was in flight: the client holds
    // only the handle from before it, and has dropped the reply as cut. The server must answer
    // again, from the history before that reply (the question, not the lost answer, is last).
    auto setup = resumable_setup();
    auto first = connect(setup);
    const auto handles = say_purple_elephants(*first);
    ASSERT_FALSE(handles.before.empty());
    ASSERT_FALSE(handles.after.empty()) << "the server counted the reply";
    first->drop();

    setup.session_resumption->handle = handles.before;
    auto second = connect(setup);
    auto again = second->next_turn();
    ASSERT_TRUE(again);
    EXPECT_NE(lower(again->output_text).find("purple elephants"), std::string::npos)
        << again->output_text;
    EXPECT_EQ(lower(again->output_text), lower(first->next_turn()->output_text))
        << "the same reply, in full";
    const auto after = second->count();
    second->send_text_turn("what did you just say");
    auto next = second->next_turn(after);
    ASSERT_TRUE(next);
    const auto messages = second->messages();
    EXPECT_EQ(std::count_if(messages.begin(), messages.end(),
                            [](const auto& r) { return is_turn_complete(r.message); }),
              2)
        << "answered again once";
}

TEST_F(LiveServerTest, ResumingInsideAReplyAnswersItAgainOnTheNewConnection) {
    // A goAway switch-over forced by the deadline: the client resumes on a new connection while
    // the old one is still inside a reply, and drops that reply as cut. The new connection must
    // answer it again in full; the old one must not finish it where nobody listens.
    auto setup = resumable_setup();
    auto first = connect(setup);
    const std::string handle = latest_resumption_handle(*first);
    ASSERT_FALSE(handle.empty());
    const auto before = first->count();
    first->send_text_turn("say purple elephants are dancing in the garden");
    ASSERT_TRUE(first->wait_message(
        [](const auto& m) { return m.server_content && m.server_content->model_turn; }, before,
        std::chrono::seconds(20)));

    setup.session_resumption->handle = handle;
    auto second = connect(setup);
    auto turn = second->next_turn();
    ASSERT_TRUE(turn);
    EXPECT_TRUE(turn->turn_complete);
    EXPECT_NE(lower(turn->output_text).find("purple elephants are dancing"), std::string::npos)
        << turn->output_text;
    EXPECT_FALSE(first->wait_message(is_turn_complete, before, std::chrono::milliseconds(500)));
}

TEST_F(LiveServerTest, UnknownResumptionHandleIsRefusedWith1008) {
    auto setup = test::transcribed_setup();
    setup.session_resumption = protocol::SessionResumptionConfig{.handle = "no-such-handle"};
    auto client = LiveTestClient::connect(server_->port(), setup, false);
    const auto closed = client->wait_closed();
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1008);
    EXPECT_EQ(closed->reason, "BidiGenerateContent session not found");
}

struct BadInput {
    const char* name;
    std::string message;  // sent right after setup, or instead of it when !after_setup
    bool after_setup;
    std::uint16_t code;
    const char* reason_part;
};

class LiveServerBadInputTest : public LiveServerTest,
                               public ::testing::WithParamInterface<BadInput> {};

TEST_P(LiveServerBadInputTest, ClosesWithTheDocumentedCodeAndOthersKeepBeingServed) {
    const auto& bad = GetParam();
    auto bystander = connect();
    auto client =
        bad.after_setup ? connect() : LiveTestClient::connect_without_setup(server_->port());
    client->send_raw(bad.message);
    const auto closed = client->wait_closed();
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, bad.code);
    EXPECT_NE(closed->reason.find(bad.reason_part), std::string::npos) << closed->reason;
    bystander->send_text_turn("what is two plus two");
    auto turn = bystander->next_turn();
    ASSERT_TRUE(turn);
    EXPECT_NE(lower(turn->output_text).find("four"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Table, LiveServerBadInputTest,
    ::testing::Values(
        BadInput{"not_json", "this is not json", true, 1007, "Invalid JSON payload"},
        BadInput{"two_keys", R"({"clientContent":{},"toolResponse":{}})", true, 1007,
                 "Invalid JSON payload"},
        BadInput{"wrong_mime",
                 R"({"realtimeInput":{"audio":{"data":"AAAA","mimeType":"audio/wav"}}})", true,
                 1007, "audio/wav"},
        BadInput{"second_setup", R"({"setup":{"model":"models/x"}})", true, 1007,
                 "invalid argument"},
        BadInput{"unknown_model", R"({"setup":{"model":"gpt-4"}})", false, 1008, "is not found"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(LiveServerTest, MessageBeforeSetupClosesWith1007) {
    auto client = LiveTestClient::connect_without_setup(server_->port());
    client->send_text_turn("hello");
    const auto closed = client->wait_closed();
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1007);
    EXPECT_NE(closed->reason.find("first message must be setup"), std::string::npos)
        << closed->reason;
}

TEST_F(LiveServerTest, OddAudioByteCountIsDroppedNotFatal) {
    auto client = connect();
    client->send_raw(
        R"({"realtimeInput":{"audio":{"data":"AAAA","mimeType":"audio/pcm;rate=16000"}}})");
    client->send_text_turn("say still here");
    auto turn = client->next_turn();
    ASSERT_TRUE(turn);
    EXPECT_NE(lower(turn->output_text).find("still here"), std::string::npos);
}

TEST_F(LiveServerTest, OversizedFrameClosesWith1009) {
    auto client = connect();
    client->send_raw(std::string(100u << 20, 'x'));
    const auto closed = client->wait_closed(60s);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1009);
}

TEST_F(LiveServerTest, ClientVanishingMidTurnLeavesOthersServed) {
    auto leaving = connect();
    leaving->send_text_turn("tell me a story");
    leaving->wait_message(
        [](const auto& m) { return m.server_content && m.server_content->model_turn; });
    leaving->drop();
    auto staying = connect();
    staying->send_text_turn("what is three times three");
    auto turn = staying->next_turn();
    ASSERT_TRUE(turn);
    EXPECT_NE(lower(turn->output_text).find("nine"), std::string::npos);
}

TEST(LiveServerGoAway, AnnouncesTheEndThenClosesWith1008) {
    server::ServerOptions options;
    options.port = 0;
    options.speech = false;
    options.max_connection = 2s;
    auto server = server::LiveServer::start(options);
    ASSERT_TRUE(server) << server.error().message();
    auto client = LiveTestClient::connect((*server)->port(), test::transcribed_setup());
    const auto go_away =
        client->wait_message([](const auto& m) { return m.go_away.has_value(); }, 0, 5s);
    ASSERT_TRUE(go_away);
    const auto left = client->messages()[*go_away].message.go_away->time_left;
    ASSERT_TRUE(left);
    EXPECT_EQ(*left, std::chrono::seconds(1));
    const auto closed = client->wait_closed(5s);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1008);
    EXPECT_NE(closed->reason.find("GoAway"), std::string::npos);
}

TEST(LiveServerGoAway, GoAwayAllDrainsEverySetUpSessionAndSparesNewOnes) {
    server::ServerOptions options;
    options.port = 0;
    options.speech = false;
    options.max_connection = std::chrono::seconds(0);  // no lifetime: only the drain ends them
    auto server = server::LiveServer::start(options);
    ASSERT_TRUE(server) << server.error().message();
    auto first = LiveTestClient::connect((*server)->port(), test::transcribed_setup());
    auto second = LiveTestClient::connect((*server)->port(), test::transcribed_setup());
    ASSERT_TRUE(first && second);
    (*server)->go_away_all(std::chrono::milliseconds(300));
    for (auto* client : {&first, &second}) {
        const auto go_away =
            (*client)->wait_message([](const auto& m) { return m.go_away.has_value(); }, 0, 5s);
        ASSERT_TRUE(go_away);
        const auto left = (*client)->messages()[*go_away].message.go_away->time_left;
        ASSERT_TRUE(left);
        EXPECT_EQ(*left, std::chrono::milliseconds(300));
        const auto closed = (*client)->wait_closed(5s);
        ASSERT_TRUE(closed);
        EXPECT_EQ(closed->code, 1008);
    }
    // A session that connects after the drain is not told to go.
    auto later = LiveTestClient::connect((*server)->port(), test::transcribed_setup());
    ASSERT_TRUE(later);
    EXPECT_FALSE(later->wait_message([](const auto& m) { return m.go_away.has_value(); }, 0,
                                     std::chrono::milliseconds(500)));
}

}  // namespace
}  // namespace parley

// SPDX-License-Identifier: Apache-2.0
// Conversation end to end: a ScriptedDevice (flite speech as the user, a simulated room putting
// the model's voice back into the microphone) through the Conversation's dsp thread, echo
// canceller, local barge-in, Player and LiveSession to the in-process local server. The device
// is paced in real time (the server holds turns by its own playback clock), so these tests are
// labelled `realtime`.
#include "session/conversation.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "parley/conversation.hpp"
#include "parley/local_server.hpp"
#include "support/event_log.hpp"
#include "support/flite_speech.hpp"
#include "support/test_audio.hpp"

namespace parley::session {
namespace {

using namespace std::chrono_literals;
using Type = ConversationEventType;

constexpr int kRateHz = 16000;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return std::regex_replace(s, std::regex("[^a-z0-9 ]+"), " ");
}

using test::EventLog;

std::vector<std::int16_t> utterance(const char* text) {
    auto pcm = test::speak(text);
    pcm.resize(pcm.size() + kRateHz * 3 / 2, 0);  // the end of the turn
    return pcm;
}

const TranscriptLine* find_line(const std::vector<TranscriptLine>& lines, const std::string& who,
                                TurnId turn) {
    for (const auto& line : lines) {
        if (line.who == who && line.turn == turn)
            return &line;
    }
    return nullptr;
}

class ConversationTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        LocalServerOptions options;
        options.port = 0;
        auto started = LocalServer::start(options);
        ASSERT_TRUE(started) << started.error().message();
        server_ = std::move(*started);
    }
    static void TearDownTestSuite() { server_.reset(); }

    void SetUp() override {
        device::SimulatedDeviceOptions options;
        options.pacing = device::Pacing::kRealtime;
        options.echo_path = make_room_echo(kRateHz);
        device_ = std::make_unique<ScriptedDevice>(kRateHz, std::move(options));
        conversation_ = std::make_unique<Conversation>(*device_, log_);
    }
    void TearDown() override {
        conversation_->stop();
        conversation_.reset();
        device_.reset();
    }

    ConversationConfig config() const {
        ConversationConfig c;
        c.session.connection.url = server_->url();
        return c;
    }
    void start(ConversationConfig c) {
        std::string why;
        ASSERT_TRUE(conversation_->start(std::move(c), &why)) << why;
        ASSERT_TRUE(log_.wait_type(Type::kReady));
    }
    // Waits for the end of the model turn that starts after event `from`; returns its metrics.
    std::optional<TurnMetrics> wait_turn_end(std::size_t from, std::size_t* at = nullptr,
                                             std::chrono::seconds timeout = 60s) {
        const auto ended = log_.wait_type(Type::kModelTurnEnded, from, timeout);
        if (!ended)
            return std::nullopt;
        if (at)
            *at = *ended;
        return log_.events()[*ended].metrics;
    }

    static inline std::unique_ptr<LocalServer> server_;
    EventLog log_;
    std::unique_ptr<ScriptedDevice> device_;
    std::unique_ptr<Conversation> conversation_;
};

TEST_F(ConversationTest, SpokenQuestionGetsAnAudibleAnswerWithTranscriptAndLatency) {
    start(config());
    device_->say(utterance("what is two plus two"));
    const auto audible = log_.wait_type(Type::kModelAudible);
    ASSERT_TRUE(audible) << "no answer was heard";
    std::size_t end_at = 0;
    const auto metrics = wait_turn_end(*audible, &end_at);
    ASSERT_TRUE(metrics);
    EXPECT_FALSE(metrics->interrupted);
    EXPECT_GT(metrics->played_ms, 500.0) << "the answer is more than half a second of speech";
    ASSERT_TRUE(metrics->response_latency_ms);
    EXPECT_GT(*metrics->response_latency_ms, 0.0);
    EXPECT_EQ(log_.count(Type::kBargeIn), 0u) << "the answer's echo must not barge in";

    const auto lines = conversation_->transcript();
    const auto* user = find_line(lines, "user", metrics->turn);
    const auto* model = find_line(lines, "model", metrics->turn);
    ASSERT_NE(user, nullptr);
    ASSERT_NE(model, nullptr);
    EXPECT_FALSE(user->text.empty());
    EXPECT_FALSE(model->text.empty());
    EXPECT_FALSE(model->interrupted);
    EXPECT_LE(user->end_ms, model->start_ms);
    const auto all = conversation_->metrics();
    ASSERT_FALSE(all.empty());
    EXPECT_TRUE(all.back().response_latency_ms);
}

constexpr const char* kStoryStart = "once upon a time";

// The user asks for the story and waits until it has played for `seconds`; returns the event
// index of its kModelAudible and the turn.
std::pair<std::size_t, TurnId> story_playing(EventLog& log, ScriptedDevice& device,
                                             std::chrono::seconds seconds) {
    device.say(utterance("tell me a story"));
    const auto audible = log.wait_type(Type::kModelAudible);
    if (!audible)
        return {0, 0};
    std::this_thread::sleep_for(seconds);
    return {*audible, log.events()[*audible].turn};
}

TEST_F(ConversationTest, BargeInSilencesTheStoryCutsItsTranscriptAndTheNextQuestionIsAnswered) {
    start(config());
    const auto [audible, story] = story_playing(log_, *device_, 4s);
    ASSERT_NE(story, 0u) << "the story was never heard";
    EXPECT_EQ(log_.count(Type::kBargeIn), 0u) << "the story's echo barged in";
    device_->say(utterance("stop. what is two plus two"));

    const auto barge = log_.wait_type(Type::kBargeIn, audible);
    ASSERT_TRUE(barge) << "the local VAD did not pause the story";
    EXPECT_EQ(log_.events()[*barge].turn, story);
    const auto interrupted = log_.wait_type(Type::kInterrupted, *barge);
    ASSERT_TRUE(interrupted) << "the server did not confirm the barge-in";
    EXPECT_EQ(log_.events()[*interrupted].turn, story);
    EXPECT_FALSE(log_.wait_type(Type::kBargeInResumed, *barge, 0s))
        << "a confirmed barge-in must not resume";

    // The story's transcript line: marked, and cut where playback stopped.
    const auto story_line = log_.wait(
        [story = story](const ConversationEvent& e) {
            return e.type == Type::kTranscript && e.line && e.line->who == "model" &&
                   e.line->turn == story;
        },
        *barge);
    ASSERT_TRUE(story_line);
    const auto line = *log_.events()[*story_line].line;
    EXPECT_TRUE(line.interrupted);
    EXPECT_EQ(lower(line.text).find(kStoryStart), 0u) << line.text;
    EXPECT_LT(line.text.size(), 300u) << "the whole story is ~1000 characters: " << line.text;
    EXPECT_NE(line.text.find("..."), std::string::npos) << line.text;

    // Silence: the story's metrics say when, and nothing of it plays any more.
    const auto ended = log_.wait(
        [story = story](const ConversationEvent& e) {
            return e.type == Type::kModelTurnEnded && e.turn == story;
        },
        audible);
    ASSERT_TRUE(ended);
    const auto story_metrics = *log_.events()[*ended].metrics;
    EXPECT_TRUE(story_metrics.interrupted);
    EXPECT_LT(story_metrics.played_ms, story_metrics.generated_ms + 1.0);
    EXPECT_GT(story_metrics.played_ms, 2000.0);
    EXPECT_LT(story_metrics.played_ms, 20000.0);

    // The next question is answered, in a new turn.
    const auto answer = log_.wait(
        [story = story](const ConversationEvent& e) {
            return e.type == Type::kTranscript && e.line && e.line->who == "model" &&
                   e.line->turn > story;
        },
        *interrupted);
    ASSERT_TRUE(answer) << "the question asked over the story was not answered";
    EXPECT_FALSE(log_.events()[*answer].line->text.empty()) << log_.events()[*answer].line->text;
    bool measured = false;
    for (const auto& m : conversation_->metrics()) {
        if (m.turn == story && m.barge_in_silence_ms) {
            measured = true;
            EXPECT_GT(*m.barge_in_silence_ms, 0.0);
        }
    }
    EXPECT_TRUE(measured) << "barge-in onset -> silence was not measured";
}

// The model's own voice through the simulated room for the whole ~55 s story: neither the local
// VAD nor the server's (which hears whatever echo is left in what we send) takes it for the user.
TEST_F(ConversationTest, TheWholeStoryEchoedThroughTheRoomNeverInterruptsIt) {
    start(config());
    device_->say(utterance("tell me a story"));
    const auto audible = log_.wait_type(Type::kModelAudible);
    ASSERT_TRUE(audible);
    const TurnId story = log_.events()[*audible].turn;
    const auto ended = log_.wait(
        [story](const ConversationEvent& e) {
            return e.type == Type::kModelTurnEnded && e.turn == story;
        },
        *audible, 150s);
    ASSERT_TRUE(ended) << "the story never ended";
    const auto metrics = *log_.events()[*ended].metrics;
    EXPECT_FALSE(metrics.interrupted);
    EXPECT_GT(metrics.played_ms, 30000.0) << "the whole story played";
    EXPECT_EQ(log_.count(Type::kBargeIn), 0u) << "the local VAD fired on the echo";
    EXPECT_EQ(log_.count(Type::kInterrupted), 0u) << "the server heard the echo as speech";
    EXPECT_FALSE(log_.wait_type(Type::kUserSpeechStarted, *audible, 0s))
        << "the local VAD heard the echo as speech";
    const auto lines = conversation_->transcript();
    const auto* line = find_line(lines, "model", story);
    ASSERT_NE(line, nullptr);
    EXPECT_FALSE(line->interrupted);
    EXPECT_NE(lower(line->text).find("the end"), std::string::npos) << line->text;
}

TEST_F(ConversationTest, ToolCallRunsTheRegisteredFunctionAndItsResultIsSpoken) {
    protocol::FunctionDeclaration weather;
    weather.name = "weather";
    weather.description = "the weather in a city";
    weather.parameters =
        protocol::Json::parse(R"({"type":"OBJECT","properties":{"city":{"type":"STRING"}}})");
    std::mutex called_mutex;
    std::vector<nlohmann::json> calls;
    conversation_->add_tool(weather, [&](const nlohmann::json& args) {
        std::lock_guard lock(called_mutex);
        calls.push_back(args);
        return nlohmann::json{{"forecast", "sunny and warm"}};
    });
    start(config());
    device_->say(utterance("what is the weather in london"));
    const auto tool = log_.wait_type(Type::kToolCall);
    ASSERT_TRUE(tool) << "the function was not called";
    EXPECT_EQ(log_.events()[*tool].text.rfind("weather(", 0), 0u) << log_.events()[*tool].text;
    {
        std::lock_guard lock(called_mutex);
        ASSERT_EQ(calls.size(), 1u);
    }
    const auto spoken = log_.wait(
        [](const ConversationEvent& e) {
            return e.type == Type::kTranscript && e.line && e.line->who == "model";
        },
        *tool);
    ASSERT_TRUE(spoken);
    EXPECT_NE(lower(log_.events()[*spoken].line->text).find("sunny and warm"), std::string::npos)
        << log_.events()[*spoken].line->text;
    const auto metrics = conversation_->metrics();
    ASSERT_FALSE(metrics.empty());
    EXPECT_GT(metrics.back().played_ms, 500.0) << "the result was spoken aloud";
}

TEST_F(ConversationTest, AnUnconfirmedLocalBargeInResumesPlayback) {
    auto c = config();
    // The server does not let speech interrupt: the local pause is never confirmed.
    c.session.activity_handling = protocol::ActivityHandling::kNoInterruption;
    start(c);
    const auto [audible, story] = story_playing(log_, *device_, 3s);
    ASSERT_NE(story, 0u);
    device_->say(test::speak("hmm okay"));
    const auto barge = log_.wait_type(Type::kBargeIn, audible);
    ASSERT_TRUE(barge);
    const auto resumed = log_.wait_type(Type::kBargeInResumed, *barge, 10s);
    ASSERT_TRUE(resumed) << "playback stayed paused";
    EXPECT_EQ(log_.events()[*resumed].turn, story);
    EXPECT_FALSE(log_.wait_type(Type::kInterrupted, audible, 0s));
    std::this_thread::sleep_for(1s);
    EXPECT_TRUE(conversation_->model_playing()) << "the story goes on after the cough";
}

}  // namespace
}  // namespace parley::session

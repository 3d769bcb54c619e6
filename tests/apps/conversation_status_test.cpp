// SPDX-License-Identifier: Apache-2.0
// The Conversation events `parley talk`'s status is built from, over the in-process local server:
// transcript lines in progress (kTranscriptPartial) ahead of the final line, lines in progress
// made final (incomplete) by stop(), and a lost connection (through the fault proxy) shown as
// reconnecting attempts then resumed. A ScriptedDevice paced in real time (label realtime).
#include "session/conversation.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "parley/conversation.hpp"
#include "parley/local_server.hpp"
#include "support/event_log.hpp"
#include "support/fault_proxy.hpp"
#include "support/flite_speech.hpp"

namespace parley::session {
namespace {

using namespace std::chrono_literals;
using Type = ConversationEventType;

constexpr int kRateHz = 16000;

using test::EventLog;

std::vector<std::int16_t> utterance(const char* text) {
    auto pcm = test::speak(text);
    pcm.resize(pcm.size() + kRateHz * 3 / 2, 0);  // the end of the turn
    return pcm;
}

bool is_line(const ConversationEvent& e, Type type, const std::string& who) {
    return e.type == type && e.line && e.line->who == who;
}

class ConversationStatusTest : public ::testing::Test {
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
        device_ = std::make_unique<ScriptedDevice>(kRateHz, std::move(options));
        conversation_ = std::make_unique<Conversation>(*device_, events_);
    }
    void TearDown() override {
        conversation_->stop();
        conversation_.reset();
        device_.reset();
    }
    void start(const std::string& url) {
        ConversationConfig config;
        config.session.connection.url = url;
        config.echo_mode = dsp::EchoMode::kOff;  // headphones: no room in these tests
        std::string why;
        ASSERT_TRUE(conversation_->start(std::move(config), &why)) << why;
        ASSERT_TRUE(events_.wait_type(Type::kReady));
    }

    static inline std::unique_ptr<LocalServer> server_;
    EventLog events_;
    std::unique_ptr<ScriptedDevice> device_;
    std::unique_ptr<Conversation> conversation_;
};

TEST_F(ConversationStatusTest, TheTranscriptArrivesInPiecesBeforeEachLineIsFinal) {
    start(server_->url());
    device_->say(utterance("what is two plus two"));
    const auto model_final =
        events_.wait([](const auto& e) { return is_line(e, Type::kTranscript, "model"); });
    ASSERT_TRUE(model_final) << "no answer";
    const auto all = events_.events();
    for (const std::string who : {"user", "model"}) {
        std::optional<std::size_t> first_partial;
        std::optional<std::size_t> final_at;
        std::string last_partial;
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (is_line(all[i], Type::kTranscriptPartial, who) && !final_at) {
                if (!first_partial)
                    first_partial = i;
                EXPECT_GE(all[i].line->text.size(), last_partial.size())
                    << who << ": a line in progress only grows";
                last_partial = all[i].line->text;
            }
            if (is_line(all[i], Type::kTranscript, who) && !final_at)
                final_at = i;
        }
        ASSERT_TRUE(first_partial) << who << ": no line in progress was reported";
        ASSERT_TRUE(final_at) << who << ": no final line";
        EXPECT_LT(*first_partial, *final_at) << who;
        EXPECT_FALSE(last_partial.empty());
        EXPECT_EQ(all[*final_at].line->text, last_partial)
            << who << ": the final line is the whole line in progress (nothing cut)";
        EXPECT_FALSE(all[*final_at].line->incomplete);
    }
    // The model's words arrive while its turn is still going on.
    const auto first_model_partial =
        events_.wait([](const auto& e) { return is_line(e, Type::kTranscriptPartial, "model"); });
    const auto turn_end = events_.wait_type(Type::kModelTurnEnded);
    ASSERT_TRUE(first_model_partial && turn_end);
    EXPECT_LT(*first_model_partial, *turn_end);
}

TEST_F(ConversationStatusTest, StoppingMidAnswerKeepsTheLinesInProgressMarkedUnfinished) {
    start(server_->url());
    device_->say(utterance("tell me a story"));
    const auto audible = events_.wait_type(Type::kModelAudible);
    ASSERT_TRUE(audible) << "the story was never heard";
    const TurnId story = events_.events()[*audible].turn;
    std::this_thread::sleep_for(3s);
    ASSERT_FALSE(events_.wait_type(Type::kModelTurnEnded, 0, 0s)) << "the story ended already";
    const auto before = events_.events().size();
    conversation_->stop();

    // Delivered by stop() itself, on this thread.
    const auto all = events_.events();
    std::optional<TranscriptLine> user;
    std::optional<TranscriptLine> model;
    for (std::size_t i = before; i < all.size(); ++i) {
        if (is_line(all[i], Type::kTranscript, "user"))
            user = all[i].line;
        if (is_line(all[i], Type::kTranscript, "model"))
            model = all[i].line;
    }
    ASSERT_TRUE(user) << "the question was lost";
    EXPECT_TRUE(user->incomplete);
    EXPECT_NE(user->text.find("story"), std::string::npos) << user->text;
    ASSERT_TRUE(model) << "the story heard so far was lost";
    EXPECT_TRUE(model->incomplete);
    EXPECT_EQ(model->turn, story);
    EXPECT_NE(model->text.find("..."), std::string::npos)
        << "cut to the ~3 s heard: " << model->text;
    EXPECT_GT(model->text.size(), 10U) << model->text;
    EXPECT_LT(model->text.size(), 400U) << "the whole story is ~1000 characters";

    const auto lines = conversation_->transcript();
    ASSERT_GE(lines.size(), 2U);
    EXPECT_TRUE(lines[lines.size() - 2].incomplete && lines.back().incomplete);
    EXPECT_EQ(lines.back().who, "model");
}

TEST_F(ConversationStatusTest, ALostConnectionShowsReconnectingAttemptsThenResumed) {
    auto proxy = test::FaultProxy::start(server_->port(), {});
    ASSERT_TRUE(proxy) << proxy.error().message();
    start((*proxy)->url());
    device_->say(utterance("what is two plus two"));
    const auto answered = events_.wait_type(Type::kModelTurnEnded);
    ASSERT_TRUE(answered) << "no answer before the drop";

    // The server seems down for a while: the first attempts are refused.
    (*proxy)->refuse_connections(true);
    (*proxy)->drop_connections();
    const auto second_attempt = events_.wait(
        [](const auto& e) {
            return e.type == Type::kReconnecting && e.reconnecting && e.reconnecting->attempt >= 2;
        },
        *answered, 30s);
    ASSERT_TRUE(second_attempt) << "no second reconnection attempt was reported";
    (*proxy)->refuse_connections(false);
    const auto resumed = events_.wait_type(Type::kResumed, *second_attempt, 30s);
    ASSERT_TRUE(resumed) << "the session did not resume";

    // In order: attempt 1, 2, ... each with its backoff, then resumed with the outage's gap.
    const auto all = events_.events();
    int expected_attempt = 1;
    for (std::size_t i = *answered; i < *resumed; ++i) {
        if (all[i].type != Type::kReconnecting)
            continue;
        ASSERT_TRUE(all[i].reconnecting);
        EXPECT_EQ(all[i].reconnecting->cause, ReconnectCause::kConnectionLost);
        EXPECT_EQ(all[i].reconnecting->attempt, expected_attempt++);
        EXPECT_GT(all[i].reconnecting->retry_in.count(), 0);
    }
    EXPECT_GE(expected_attempt, 3) << "attempts 1 and 2 came before the resume";
    ASSERT_TRUE(all[*resumed].resumed);
    EXPECT_EQ(all[*resumed].resumed->cause, ReconnectCause::kConnectionLost);
    EXPECT_GE(all[*resumed].resumed->attempts, 2);
    EXPECT_GT(all[*resumed].resumed->gap.count(), 0);
    EXPECT_FALSE(events_.wait_type(Type::kClosed, 0, 0s)) << "the session ended instead";

    // And the conversation goes on over the new connection.
    device_->say(utterance("what is three plus three"));
    EXPECT_TRUE(events_.wait_type(Type::kModelTurnEnded, *resumed)) << "no answer after the resume";
}

TEST_F(ConversationStatusTest, AGoAwayShowsTheSwitchOverToANewConnection) {
    // A server that ends every connection after 3 s, announcing it 1 s ahead.
    LocalServerOptions options;
    options.port = 0;
    options.max_connection = 3s;
    options.go_away_notice = 1s;
    auto moving = LocalServer::start(options);
    ASSERT_TRUE(moving) << moving.error().message();
    start((*moving)->url());
    const auto away = events_.wait_type(Type::kGoAway, 0, 20s);
    ASSERT_TRUE(away) << "no goAway was reported";
    EXPECT_FALSE(events_.events()[*away].text.empty());
    const auto switching = events_.wait_type(Type::kReconnecting, *away, 20s);
    ASSERT_TRUE(switching);
    ASSERT_TRUE(events_.events()[*switching].reconnecting);
    EXPECT_EQ(events_.events()[*switching].reconnecting->cause, ReconnectCause::kGoAway);
    const auto resumed = events_.wait_type(Type::kResumed, *switching, 20s);
    ASSERT_TRUE(resumed) << "the switch-over did not complete";
    ASSERT_TRUE(events_.events()[*resumed].resumed);
    EXPECT_EQ(events_.events()[*resumed].resumed->cause, ReconnectCause::kGoAway);
    EXPECT_EQ(events_.events()[*resumed].resumed->gap.count(), 0) << "a switch-over has no gap";
    EXPECT_EQ(events_.events()[*resumed].resumed->audio_lost_ms, 0U);
    EXPECT_FALSE(events_.wait_type(Type::kClosed, 0, 0s)) << "the session ended instead";
    conversation_->stop();
}

}  // namespace
}  // namespace parley::session

// SPDX-License-Identifier: Apache-2.0
// Never losing the user's words (issue 5): LiveSession against the local server with speech,
// through the fault-injecting proxy. A goAway switch-over and a connection dropped in the middle
// of an utterance both end with the utterance recognized exactly once and answered; a send bound
// exceeded while the server is unreachable is counted and reported. Audio is paced faster than
// real time, so these run under the sanitizers too.
#include <algorithm>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "server/live_server.hpp"
#include "session/live_session.hpp"
#include "support/fault_proxy.hpp"
#include "support/flite_speech.hpp"
#include "unit/session/session_test_support.hpp"

namespace parley {
namespace {

using namespace std::chrono_literals;
using session::test::Event;
using session::test::RecordingSink;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return std::regex_replace(s, std::regex("[^a-z0-9 ]+"), " ");
}

std::vector<std::int16_t> silence_ms(int ms) {
    return std::vector<std::int16_t>(static_cast<std::size_t>(ms) * 16, 0);
}

void append(std::vector<std::int16_t>& to, const std::vector<std::int16_t>& more) {
    to.insert(to.end(), more.begin(), more.end());
}

session::LiveSessionConfig config_for(const std::string& url) {
    session::LiveSessionConfig config;
    config.model = "gemini-test";
    config.connection.url = url;
    config.reconnect.first_backoff = 50ms;
    return config;
}

// Sends `audio` in 100 ms chunks, `speedup` times faster than real time; `at_chunk` runs before
// the chunk of that index (if any).
void stream(session::LiveSession& session, const std::vector<std::int16_t>& audio, int speedup,
            std::size_t at_chunk = SIZE_MAX, const std::function<void()>& action = {}) {
    constexpr std::size_t kChunk = 1600;
    std::size_t index = 0;
    for (std::size_t at = 0; at < audio.size(); at += kChunk, ++index) {
        if (index == at_chunk && action)
            action();
        session.send_audio(std::span(audio).subspan(at, std::min(kChunk, audio.size() - at)));
        std::this_thread::sleep_for(100ms / speedup);
    }
}

// The user's finished utterances as the server heard them (input transcriptions).
std::vector<std::string> heard(RecordingSink& sink) {
    std::vector<std::string> texts;
    for (const auto& e : sink.events()) {
        if (e.kind == "input")
            texts.push_back(lower(e.text));
    }
    return texts;
}

std::string said(RecordingSink& sink) {
    std::string text;
    for (const auto& e : sink.events()) {
        if (e.kind == "output")
            text += e.text;
    }
    return lower(text);
}

class ResilienceTest : public ::testing::Test {
protected:
    static std::unique_ptr<server::LiveServer> start_server(std::chrono::seconds max_connection) {
        server::ServerOptions options;
        options.port = 0;
        options.max_connection = max_connection;
        options.go_away_notice = max_connection / 2;
        auto started = server::LiveServer::start(options);
        EXPECT_TRUE(started) << started.error().message();
        return started ? std::move(*started) : nullptr;
    }
    static std::vector<std::int16_t> question() {
        static const auto speech = test::speak("what is twelve times seven");
        return speech;
    }
};

TEST_F(ResilienceTest, GoAwaySwitchOverInTheMiddleOfAnUtteranceLosesNothing) {
    // A connection lives 3 s: goAway 1.5 s in, while the user is speaking (paced at 2x).
    auto server = start_server(3s);
    ASSERT_TRUE(server);
    RecordingSink sink;
    session::LiveSession session(sink);
    auto config = config_for(server->url());
    config.reconnect.go_away_margin = 300ms;
    ASSERT_TRUE(session.connect(config, {}));
    ASSERT_TRUE(sink.wait("setup"));
    auto audio = silence_ms(2400);
    append(audio, question());
    append(audio, silence_ms(1500));
    stream(session, audio, 2);
    ASSERT_TRUE(sink.wait("turn", 0, 60s));
    ASSERT_TRUE(sink.wait("resumed", 0, 10s)) << "a goAway came and the session switched";
    std::this_thread::sleep_for(500ms);  // a second recognition would show up here

    const auto texts = heard(sink);
    ASSERT_EQ(texts.size(), 1u) << "recognized exactly once";
    EXPECT_NE(texts[0].find("twelve times seven"), std::string::npos) << texts[0];
    EXPECT_NE(said(sink).find("eighty four"), std::string::npos) << said(sink);
    const auto stats = session.stats();
    EXPECT_GE(stats.go_away_switches, 1u);
    EXPECT_EQ(stats.last_gap_ms, 0u);
    EXPECT_EQ(stats.audio_dropped_ms, 0u);
    EXPECT_EQ(stats.audio_lost_ms, 0u);
    EXPECT_GE(stats.audio_sent_ms, audio.size() / 16 - 100);
    EXPECT_FALSE(sink.wait("closed", 0, 0ms));
}

TEST_F(ResilienceTest, DroppedConnectionInTheMiddleOfAnUtteranceIsRecognizedOnceAndAnswered) {
    auto server = start_server(0s);
    ASSERT_TRUE(server);
    auto proxy = test::FaultProxy::start(server->port(), {});
    ASSERT_TRUE(proxy);
    RecordingSink sink;
    session::LiveSession session(sink);
    ASSERT_TRUE(session.connect(config_for((*proxy)->url()), {}));
    ASSERT_TRUE(sink.wait("setup"));
    auto audio = silence_ms(500);
    const auto speech = question();
    append(audio, speech);
    append(audio, silence_ms(1500));
    // Cut in the middle of the words.
    const std::size_t middle_chunk = (8000 + speech.size() / 2) / 1600;
    stream(session, audio, 4, middle_chunk, [&] { (*proxy)->drop_connections(); });
    ASSERT_TRUE(sink.wait("resumed", 0, 20s));
    ASSERT_TRUE(sink.wait("turn", 0, 60s));
    std::this_thread::sleep_for(500ms);

    const auto texts = heard(sink);
    ASSERT_EQ(texts.size(), 1u) << "recognized exactly once";
    EXPECT_NE(texts[0].find("twelve times seven"), std::string::npos) << texts[0];
    EXPECT_NE(said(sink).find("eighty four"), std::string::npos) << said(sink);
    const auto reconnecting = sink.wait("reconnecting");
    ASSERT_TRUE(reconnecting);
    EXPECT_EQ(sink.events()[*reconnecting].reconnecting.cause,
              session::ReconnectCause::kConnectionLost);
    const auto stats = session.stats();
    EXPECT_EQ(stats.reconnects, 1u);
    EXPECT_EQ(stats.audio_dropped_ms, 0u);
    EXPECT_EQ(stats.audio_lost_ms, 0u);
    EXPECT_EQ((*proxy)->stats().drops, 1u);
    EXPECT_FALSE(sink.wait("closed", 0, 0ms));
}

TEST_F(ResilienceTest, AudioPastTheBoundWhileUnreachableIsDroppedCountedAndTheRestSent) {
    auto server = start_server(0s);
    ASSERT_TRUE(server);
    auto proxy = test::FaultProxy::start(server->port(), {});
    ASSERT_TRUE(proxy);
    RecordingSink sink;
    session::LiveSession session(sink);
    auto config = config_for((*proxy)->url());
    config.max_pending_audio = 500ms;
    ASSERT_TRUE(session.connect(config, {}));
    ASSERT_TRUE(sink.wait("setup"));
    (*proxy)->refuse_connections(true);
    (*proxy)->drop_connections();
    ASSERT_TRUE(sink.wait("reconnecting"));
    EXPECT_TRUE(session.stats().reconnecting);
    const auto before = session.stats().audio_sent_ms;
    stream(session, silence_ms(2000), 20);  // 2 s of microphone audio while unreachable
    EXPECT_EQ(session.stats().audio_dropped_ms, 1500u) << "the oldest beyond 500 ms, counted";
    EXPECT_EQ(session.stats().audio_pending_ms, 500u);
    (*proxy)->refuse_connections(false);
    const auto resumed = sink.wait("resumed", 0, 20s);
    ASSERT_TRUE(resumed);
    EXPECT_GE(sink.events()[*resumed].resumed.attempts, 1);
    EXPECT_GT(sink.events()[*resumed].resumed.gap, 0ms);
    for (int i = 0; i < 200 && session.stats().audio_sent_ms < before + 500; ++i)
        std::this_thread::sleep_for(10ms);
    EXPECT_EQ(session.stats().audio_sent_ms, before + 500) << "the newest 500 ms went out";
    EXPECT_FALSE(session.stats().reconnecting);
    EXPECT_GE(session.stats().last_gap_ms, 1u);
    EXPECT_FALSE(sink.wait("closed", 0, 0ms));
}

}  // namespace
}  // namespace parley

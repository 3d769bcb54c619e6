// SPDX-License-Identifier: Apache-2.0
// LiveSession against scripted peers (exact wire behaviour, turn ids, every event kind, errors)
// and against the local server without speech engines (connect, 1008, refused). No real-time
// waits: everything here runs under the sanitizers too.
#include "session/live_session.hpp"

#include <algorithm>
#include <future>
#include <numeric>
#include <thread>

#include <gtest/gtest.h>

#include "protocol/audio.hpp"
#include "protocol/codec.hpp"
#include "server/live_server.hpp"
#include "session/error.hpp"
#include "session_test_support.hpp"
#include "transport/error.hpp"

namespace parley::session {
namespace {

using namespace std::chrono_literals;
using test::RecordingSink;
using test::ScriptedPeer;

const std::string kKey = "AIzaSyTESTKEY0123456789abcdefghijklmnop";

LiveSessionConfig config_for(const std::string& url) {
    LiveSessionConfig config;
    config.model = "gemini-test";
    config.connection.url = url;
    config.connection.api_key = kKey;
    return config;
}

std::string server_json(const protocol::ServerMessage& m) {
    return protocol::encode_server_message(m);
}

protocol::ServerMessage content(protocol::ServerContent c) {
    protocol::ServerMessage m;
    m.server_content = std::move(c);
    return m;
}

std::string audio_json(std::size_t samples) {
    return server_json(protocol::make_audio_output(std::vector<std::int16_t>(samples, 100)));
}

std::string flag_json(std::optional<bool> protocol::ServerContent::*field) {
    protocol::ServerContent c;
    c.*field = true;
    return server_json(content(c));
}

constexpr const char* kSetupComplete = R"({"setupComplete":{}})";

// Connects `session` to `peer` and completes setup; returns false if that did not happen.
bool open_with(LiveSession& session, RecordingSink& sink, ScriptedPeer& peer,
               LiveSessionConfig config) {
    if (!session.connect(std::move(config), Environment{}))
        return false;
    if (!peer.wait_for([](const auto& m) { return !m.empty(); }))
        return false;
    peer.send(kSetupComplete);
    return sink.wait("setup").has_value();
}

std::vector<std::int16_t> ramp(std::size_t n, int from) {
    std::vector<std::int16_t> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = static_cast<std::int16_t>((from + static_cast<int>(i)) % 30000);
    return v;
}

TEST(LiveSessionTest, SendsSetupFirstWithTheKeyInAHeaderOnTheSdkPath) {
    ScriptedPeer peer;
    ASSERT_TRUE(peer.listening());
    RecordingSink sink;
    LiveSession session(sink);
    ASSERT_TRUE(open_with(session, sink, peer, config_for(peer.url())));
    EXPECT_EQ(session.state(), SessionState::kOpen);
    const auto requests = peer.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].target,
              "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent");
    EXPECT_EQ(requests[0].header("x-goog-api-key"), kKey);
    const auto first = peer.messages().at(0);
    auto decoded = protocol::decode_client_message(first);
    ASSERT_TRUE(decoded) << decoded.error().message;
    ASSERT_TRUE(std::holds_alternative<protocol::Setup>(*decoded));
    EXPECT_EQ(std::get<protocol::Setup>(*decoded).model, "models/gemini-test");
}

TEST(LiveSessionTest, SendsBeforeSetupCompleteWaitInOrderAndTheBoundDropsTheOldestAudio) {
    ScriptedPeer peer;
    RecordingSink sink;
    LiveSession session(sink);
    auto config = config_for(peer.url());
    config.max_pending_audio = 2000ms;
    ASSERT_TRUE(session.connect(config, Environment{}));
    session.send_text("hello");
    const auto audio = ramp(5 * 16000, 0);  // 5 s, more than the 2 s bound
    for (std::size_t at = 0; at < audio.size(); at += 320) {
        session.send_audio(std::span(audio).subspan(at, 320));
    }
    session.activity_end();
    EXPECT_EQ(session.stats().audio_dropped_ms, 3000u) << "dropped and counted, not silently";
    EXPECT_EQ(session.stats().audio_pending_ms, 2000u);
    ASSERT_TRUE(peer.wait_for([](const auto& m) { return !m.empty(); }));
    EXPECT_EQ(peer.messages().size(), 1u) << "only setup goes out before setupComplete";
    peer.send(kSetupComplete);
    ASSERT_TRUE(peer.wait_for([](const auto& m) {
        return !m.empty() && m.back().find("activityEnd") != std::string::npos;
    }));
    const auto messages = peer.messages();
    ASSERT_GE(messages.size(), 4u);
    EXPECT_NE(
        messages[1].find(
            R"("clientContent":{"turns":[{"parts":[{"text":"hello"}],"role":"user"}],"turnComplete":true)"),
        std::string::npos)
        << messages[1];
    std::vector<std::int16_t> received;
    for (std::size_t i = 2; i + 1 < messages.size(); ++i) {
        auto decoded = protocol::decode_client_message(messages[i]);
        ASSERT_TRUE(decoded);
        const auto& input = std::get<protocol::RealtimeInput>(*decoded);
        const auto& blob = std::get<protocol::AudioInput>(input.input).audio;
        EXPECT_EQ(blob.mime_type, "audio/pcm;rate=16000");
        const auto samples = protocol::pcm16_samples(blob.data);
        EXPECT_LE(samples.size(), 1600u) << "chunks of at most 100 ms";
        received.insert(received.end(), samples.begin(), samples.end());
    }
    EXPECT_EQ(received, ramp(2 * 16000, 3 * 16000)) << "the newest 2 s, in order";
    EXPECT_EQ(messages.back(), R"({"realtimeInput":{"activityEnd":{}}})");
    EXPECT_EQ(session.stats().audio_sent_ms, 2000u);
}

TEST(LiveSessionTest, EachSendIsTheMessageTheSdkSends) {
    ScriptedPeer peer;
    RecordingSink sink;
    LiveSession session(sink);
    ASSERT_TRUE(open_with(session, sink, peer, config_for(peer.url())));
    session.activity_start();
    session.send_audio(std::vector<std::int16_t>{1, -2});
    session.activity_end();
    session.audio_stream_end();
    session.send_realtime_text("hi there");
    session.send_video({0xFF, 0xD8, 0xFF});
    session.send_text("Hello?");
    session.send_tool_response({{"call-1", "get_time", {{"output", "12:00"}}, {}, {}}});
    ASSERT_TRUE(peer.wait_for([](const auto& m) { return m.size() >= 9; }));
    const auto messages = peer.messages();
    const std::vector<std::string> expected = {
        R"({"realtimeInput":{"activityStart":{}}})",
        R"({"realtimeInput":{"audio":{"data":"AQD+/w==","mimeType":"audio/pcm;rate=16000"}}})",
        R"({"realtimeInput":{"activityEnd":{}}})",
        R"({"realtimeInput":{"audioStreamEnd":true}})",
        R"({"realtimeInput":{"text":"hi there"}})",
        R"({"realtimeInput":{"video":{"data":"/9j/","mimeType":"image/jpeg"}}})",
        R"({"clientContent":{"turns":[{"parts":[{"text":"Hello?"}],"role":"user"}],"turnComplete":true}})",
        R"({"toolResponse":{"functionResponses":[{"id":"call-1","name":"get_time","response":{"output":"12:00"}}]}})"};
    EXPECT_EQ(std::vector<std::string>(messages.begin() + 1, messages.end()), expected);
}

TEST(LiveSessionTest, SendsFromManyThreadsAllArriveWhole) {
    ScriptedPeer peer;
    RecordingSink sink;
    LiveSession session(sink);
    auto config = config_for(peer.url());
    config.max_pending_audio = 60'000ms;  // nothing may be dropped here
    ASSERT_TRUE(open_with(session, sink, peer, config));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&session] {
            const std::vector<std::int16_t> frame(320, 7);
            for (int i = 0; i < 50; ++i) session.send_audio(frame);  // 1 s in 20 ms frames
            session.send_realtime_text("done");
        });
    }
    for (auto& t : threads) t.join();
    std::size_t samples = 0;
    ASSERT_TRUE(peer.wait_for([&samples](const auto& m) {
        samples = 0;
        int done = 0;
        for (std::size_t i = 1; i < m.size(); ++i) {
            auto decoded = protocol::decode_client_message(m[i]);
            if (!decoded)
                return false;
            const auto& input = std::get<protocol::RealtimeInput>(*decoded).input;
            if (const auto* audio = std::get_if<protocol::AudioInput>(&input)) {
                samples += audio->audio.data.size() / 2;
            } else {
                ++done;
            }
        }
        return done == 4 && samples == 4u * 16000u;
    })) << samples;
    EXPECT_EQ(session.stats().audio_sent_ms, 4000u);
    EXPECT_EQ(session.stats().audio_dropped_ms, 0u);
}

TEST(LiveSessionTest, TurnIdsStartAtTheFirstOutputAfterTurnCompleteOrInterrupted) {
    ScriptedPeer peer;
    RecordingSink sink;
    LiveSession session(sink);
    ASSERT_TRUE(open_with(session, sink, peer, config_for(peer.url())));
    protocol::ServerContent transcript;
    transcript.output_transcription =
        protocol::Transcription{.text = "hi", .finished = {}, .language_code = {}};
    auto done = content(protocol::ServerContent{});
    done.server_content->turn_complete = true;
    done.usage_metadata = protocol::UsageMetadata{};
    done.usage_metadata->total_token_count = 42;
    // Turn 1 ends normally; turn 2 is interrupted; turn 3 comes after.
    for (const auto& m :
         {audio_json(2400), server_json(content(transcript)), audio_json(2400),
          flag_json(&protocol::ServerContent::generation_complete), server_json(done),
          audio_json(2400), flag_json(&protocol::ServerContent::interrupted),
          flag_json(&protocol::ServerContent::turn_complete), audio_json(2400),
          flag_json(&protocol::ServerContent::turn_complete)}) {
        peer.send(m);
    }
    ASSERT_TRUE(sink.wait("turn", 0, 10s, [](const auto& e) { return e.turn == 3; }));
    std::vector<std::pair<std::string, TurnId>> seen;
    for (const auto& e : sink.events()) {
        if (e.kind != "setup" && e.kind != "resumption")
            seen.emplace_back(e.kind, e.turn);
    }
    const std::vector<std::pair<std::string, TurnId>> expected = {
        {"audio", 1}, {"output", 1},      {"audio", 1}, {"generation", 1}, {"turn", 1},
        {"audio", 2}, {"interrupted", 2}, {"turn", 2},  {"audio", 3},      {"turn", 3}};
    EXPECT_EQ(seen, expected);
    const auto events = sink.events();
    const auto first_turn =
        std::find_if(events.begin(), events.end(), [](const auto& e) { return e.kind == "turn"; });
    ASSERT_TRUE(first_turn->usage);
    EXPECT_EQ(first_turn->usage->total_token_count, 42) << "usage comes with its turnComplete";
    const auto audio =
        std::find_if(events.begin(), events.end(), [](const auto& e) { return e.kind == "audio"; });
    EXPECT_EQ(audio->rate_hz, 24000);
    EXPECT_EQ(audio->samples, 2400u);
    EXPECT_EQ(session.stats().audio_received_ms, 400u);
}

TEST(LiveSessionTest, EveryServerMessageBecomesATypedEventOnTheIoThread) {
    ScriptedPeer peer;
    RecordingSink sink;
    LiveSession session(sink);
    ASSERT_TRUE(open_with(session, sink, peer, config_for(peer.url())));
    peer.send(
        R"({"toolCall":{"functionCalls":[{"id":"c1","name":"get_time","args":{"tz":"UTC"}}]}})");
    peer.send(R"({"toolCallCancellation":{"ids":["c1"]}})");
    peer.send("this is not JSON");
    peer.send(
        R"({"serverContent":{"modelTurn":{"parts":[{"text":"**Planning**","thought":true},{"text":"Hello"}]}}})");
    peer.send(R"({"serverContent":{"inputTranscription":{"text":"what time"}}})");
    peer.send(
        R"({"serverContent":{},"voiceActivity":{"voiceActivityType":"ACTIVITY_START","audioOffset":"0.440s"}})");
    peer.send(R"({"usageMetadata":{"totalTokenCount":7}})");
    peer.send(R"({"sessionResumptionUpdate":{"newHandle":"h1","resumable":true}})");
    peer.send(R"({"sessionResumptionUpdate":{"resumable":false}})");
    peer.send(R"({"goAway":{"timeLeft":"50s"}})");
    ASSERT_TRUE(sink.wait("go_away"));
    const auto events = sink.events();
    std::vector<std::string> kinds;
    for (const auto& e : events) kinds.push_back(e.kind);
    EXPECT_EQ(kinds,
              (std::vector<std::string>{"setup", "tool_call", "cancel", "text", "input", "voice",
                                        "usage", "resumption", "resumption", "go_away"}));
    EXPECT_EQ(events[1].calls.at(0).name, "get_time");
    EXPECT_EQ(events[1].calls.at(0).args.value("tz", ""), "UTC");
    EXPECT_EQ(events[2].ids, std::vector<std::string>{"c1"});
    EXPECT_EQ(events[3].text, "Hello") << "thought summaries are not delivered";
    EXPECT_EQ(events[4].text, "what time");
    EXPECT_EQ(events[5].text, "ACTIVITY_START");
    EXPECT_EQ(events[6].usage->total_token_count, 7);
    EXPECT_EQ(events[9].time_left, 50s);
    EXPECT_EQ(session.resumption_handle(), "h1") << "an unresumable update keeps the last handle";
    EXPECT_EQ(session.stats().messages_ignored, 1u);
    for (const auto& e : events) {
        EXPECT_NE(e.thread, std::this_thread::get_id());
        EXPECT_EQ(e.thread, events[0].thread) << "one io thread";
    }
}

TEST(LiveSessionTest, NoSetupCompleteInTimeIsAClearError) {
    ScriptedPeer peer;
    RecordingSink sink;
    LiveSession session(sink);
    auto config = config_for(peer.url());
    config.connection.setup_timeout = 300ms;
    ASSERT_TRUE(session.connect(config, Environment{}));
    const auto closed = sink.wait("closed");
    ASSERT_TRUE(closed);
    const auto c = sink.events()[*closed].closed;
    EXPECT_EQ(c.error, SessionError::kSetupTimeout);
    EXPECT_EQ(c.message, "the server at 127.0.0.1:" + std::to_string(peer.port()) +
                             " did not answer setup within 0.3 s (is this a Live API endpoint?)");
    EXPECT_EQ(session.state(), SessionState::kClosed);
}

TEST(LiveSessionTest, ServerErrorCloseBecomesAClearLine) {
    ScriptedPeer peer;
    RecordingSink sink;
    LiveSession session(sink);
    auto config = config_for(peer.url());
    config.reconnect.enabled = false;  // with it, 1011 is retried (below)
    ASSERT_TRUE(open_with(session, sink, peer, config));
    peer.close(1011, "Internal error occurred.");
    const auto closed = sink.wait("closed");
    ASSERT_TRUE(closed);
    const auto c = sink.events()[*closed].closed;
    EXPECT_EQ(c.error, SessionError::kServerError);
    EXPECT_EQ(c.error, SessionCondition::kServerClosed);
    EXPECT_EQ(c.close_code, 1011);
    EXPECT_EQ(c.reason, "Internal error occurred.");
    EXPECT_EQ(c.message, "the server closed the session: 1011 Internal error occurred.");
}

TEST(LiveSessionTest, CloseSendsWhatWasQueuedThenANormalCloseFrame) {
    ScriptedPeer peer;
    RecordingSink sink;
    LiveSession session(sink);
    ASSERT_TRUE(open_with(session, sink, peer, config_for(peer.url())));
    session.audio_stream_end();
    session.close();
    const auto closed = sink.wait("closed");
    ASSERT_TRUE(closed);
    EXPECT_FALSE(sink.events()[*closed].closed.error);
    const auto peer_closed = peer.wait_closed();
    ASSERT_TRUE(peer_closed);
    EXPECT_EQ(peer_closed->code, 1000);
    EXPECT_EQ(peer.messages().back(), R"({"realtimeInput":{"audioStreamEnd":true}})");
    EXPECT_EQ(session.state(), SessionState::kClosed);
    session.send_text("ignored after close");
    session.close();  // a no-op now
    std::this_thread::sleep_for(50ms);
    const auto events = sink.events();
    EXPECT_EQ(std::count_if(events.begin(), events.end(),
                            [](const auto& e) { return e.kind == "closed"; }),
              1);
}

TEST(LiveSessionTest, VertexUsesTheBearerTokenFromTheProviderAndTheFullModelName) {
    ScriptedPeer peer;
    RecordingSink sink;
    LiveSession session(sink);
    LiveSessionConfig config;
    config.model = "gemini-live-2.5-flash";
    config.connection.backend = Backend::kVertex;
    config.connection.url = peer.url();
    config.connection.project = "my-proj";
    config.connection.location = "us-central1";
    config.connection.token_provider = std::make_shared<StaticTokenProvider>("ya29.token");
    ASSERT_TRUE(open_with(session, sink, peer, config));
    const auto requests = peer.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].target,
              "/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent");
    EXPECT_EQ(requests[0].header("authorization"), "Bearer ya29.token");
    EXPECT_FALSE(requests[0].header("x-goog-api-key"));
    EXPECT_NE(
        peer.messages().at(0).find(
            R"("model":"projects/my-proj/locations/us-central1/publishers/google/models/gemini-live-2.5-flash")"),
        std::string::npos);
}

class FailingTokenProvider final : public TokenProvider {
public:
    Result<std::string> access_token() override { return fail(SessionError::kNoVertexCredentials); }
};

TEST(LiveSessionTest, ConfigurationErrorsComeBackFromConnect) {
    RecordingSink sink;
    LiveSession session(sink);
    auto config = config_for("");
    config.connection.api_key.clear();
    const auto no_key = session.connect(config, Environment{});
    ASSERT_FALSE(no_key);
    EXPECT_EQ(no_key.error(), SessionError::kNoApiKey);

    config.connection.backend = Backend::kVertex;
    config.connection.project = "p";
    config.connection.token_provider = std::make_shared<FailingTokenProvider>();
    const auto no_token = session.connect(config, Environment{});
    ASSERT_FALSE(no_token);
    EXPECT_EQ(no_token.error(), SessionError::kTokenProviderFailed);
    EXPECT_EQ(session.state(), SessionState::kIdle);
    EXPECT_EQ(session.reconnect().error(), SessionError::kNotConnected);
    EXPECT_EQ(sink.count(), 0u);
}

TEST(LiveSessionTest, ReconnectResumesWithTheLatestHandle) {
    ScriptedPeer peer;
    RecordingSink sink;
    LiveSession session(sink);
    auto config = config_for(peer.url());
    config.resumption.handle = "from-config";
    config.resumption.transparent = false;
    config.reconnect.enabled = false;  // the switch-over after goAway is tested below
    ASSERT_TRUE(open_with(session, sink, peer, config));
    EXPECT_NE(peer.messages().at(0).find(R"("sessionResumption":{"handle":"from-config"})"),
              std::string::npos);
    peer.send(R"({"sessionResumptionUpdate":{"newHandle":"h2","resumable":true}})");
    ASSERT_TRUE(sink.wait("resumption"));
    peer.send(R"({"goAway":{"timeLeft":"1s"}})");
    ASSERT_TRUE(sink.wait("go_away"));
    ASSERT_TRUE(session.reconnect());
    ASSERT_TRUE(peer.wait_for([](const auto& m) { return m.size() >= 2; }));
    EXPECT_NE(peer.messages().at(1).find(R"("sessionResumption":{"handle":"h2"})"),
              std::string::npos)
        << peer.messages().at(1);
    EXPECT_EQ(peer.connection_count(), 2u);
    peer.send(kSetupComplete);
    ASSERT_TRUE(sink.wait("setup", 1));
    EXPECT_EQ(session.state(), SessionState::kOpen);
    EXPECT_EQ(session.stats().connections, 2u);
    EXPECT_FALSE(sink.wait("closed", 0, 100ms)) << "the old connection's end is not the session's";
    session.send_realtime_text("after");
    ASSERT_TRUE(peer.wait_for(
        [](const auto& m) { return m.back() == R"({"realtimeInput":{"text":"after"}})"; }));
}

// ---- automatic reconnection ----

// The audio samples of the realtimeInput messages among `messages`, in order.
std::vector<std::int16_t> audio_of(const std::vector<std::string>& messages) {
    std::vector<std::int16_t> samples;
    for (const auto& m : messages) {
        auto decoded = protocol::decode_client_message(m);
        if (!decoded)
            continue;
        const auto* input = std::get_if<protocol::RealtimeInput>(&*decoded);
        if (!input)
            continue;
        if (const auto* audio = std::get_if<protocol::AudioInput>(&input->input)) {
            const auto pcm = protocol::pcm16_samples(audio->audio.data);
            samples.insert(samples.end(), pcm.begin(), pcm.end());
        }
    }
    return samples;
}

std::size_t audio_count(const std::vector<std::string>& messages) {
    return static_cast<std::size_t>(std::count_if(messages.begin(), messages.end(), [](auto& m) {
        return m.find("\"audio\"") != std::string::npos;
    }));
}

std::string update_json(const std::string& handle, std::int64_t last_consumed) {
    return R"({"sessionResumptionUpdate":{"newHandle":")" + handle +
           R"(","resumable":true,"lastConsumedClientMessageIndex":")" +
           std::to_string(last_consumed) + R"("}})";
}

// Polls `done` (which may call the peer's own accessors, unlike wait_for's predicate).
bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (done())
            return true;
        std::this_thread::sleep_for(5ms);
    }
    return done();
}

void send_chunks(LiveSession& session, const std::vector<std::int16_t>& audio, std::size_t from,
                 std::size_t to) {
    for (std::size_t at = from; at < to; at += 1600)
        session.send_audio(std::span(audio).subspan(at, 1600));
}

TEST(LiveSessionReconnectTest, LostConnectionResendsExactlyWhatTheServerDidNotConsume) {
    ScriptedPeer peer;
    RecordingSink sink;
    LiveSession session(sink);
    auto config = config_for(peer.url());
    ASSERT_TRUE(open_with(session, sink, peer, config));
    EXPECT_NE(peer.messages().at(0).find(R"("sessionResumption":{"transparent":true})"),
              std::string::npos)
        << "transparent resumption is asked for on an explicit URL: " << peer.messages().at(0);
    const auto audio = ramp(10 * 1600, 7);
    send_chunks(session, audio, 0, audio.size());
    ASSERT_TRUE(peer.wait_for([](const auto& m) { return audio_count(m) == 10; }));
    peer.send_on(0, update_json("h1", 3));  // messages 0..3 consumed
    ASSERT_TRUE(sink.wait("resumption"));
    peer.close_on(0, 1011, "Internal error occurred.");  // retryable: the session goes on

    const auto reconnecting = sink.wait("reconnecting");
    ASSERT_TRUE(reconnecting);
    EXPECT_EQ(sink.events()[*reconnecting].reconnecting.cause, ReconnectCause::kConnectionLost);
    EXPECT_NE(sink.events()[*reconnecting].text.find("1011"), std::string::npos);
    ASSERT_TRUE(poll_until([&] { return !peer.messages_on(1).empty(); }));
    EXPECT_NE(peer.messages_on(1).at(0).find(R"("handle":"h1")"), std::string::npos);
    session.send_audio(std::span(audio).subspan(0, 0));  // nothing; still queued fine
    peer.send_on(1, kSetupComplete);
    peer.send_on(1, update_json("h2", 5));  // the server had got up to 5 before the cut
    const auto resumed = sink.wait("resumed");
    ASSERT_TRUE(resumed);
    EXPECT_EQ(sink.events()[*resumed].resumed.audio_resent_ms, 400u);
    EXPECT_EQ(sink.events()[*resumed].resumed.audio_lost_ms, 0u);
    ASSERT_TRUE(poll_until([&] { return audio_count(peer.messages_on(1)) == 4; }));

    // What the server consumed of the first connection plus what came again: every sample
    // exactly once, in order.
    auto first = peer.messages_on(0);
    std::vector<std::string> consumed(first.begin() + 1, first.begin() + 1 + 6);
    auto heard = audio_of(consumed);
    const auto again = audio_of(peer.messages_on(1));
    heard.insert(heard.end(), again.begin(), again.end());
    EXPECT_EQ(heard, audio);
    EXPECT_EQ(sink.count("setup"), 1u) << "a resume is not a new setup for the sink";
    EXPECT_FALSE(sink.wait("closed", 0, 0ms));
    const auto stats = session.stats();
    EXPECT_EQ(stats.reconnects, 1u);
    EXPECT_EQ(stats.audio_resent_ms, 400u);
    EXPECT_FALSE(stats.reconnecting);

    // New audio follows on the new connection, numbered after the resent messages.
    const auto more = ramp(1600, 500);
    session.send_audio(more);
    ASSERT_TRUE(poll_until([&] { return audio_count(peer.messages_on(1)) == 5; }));
    peer.send_on(1, update_json("h3", 10));
    ASSERT_TRUE(
        sink.wait("resumption", 0, 5s, [](const test::Event& e) { return e.text == "h3"; }));
}

TEST(LiveSessionReconnectTest, GoAwaySwitchesOverWithoutAGap) {
    ScriptedPeer peer;
    RecordingSink sink;
    LiveSession session(sink);
    ASSERT_TRUE(open_with(session, sink, peer, config_for(peer.url())));
    peer.send_on(0, update_json("h1", -1));
    ASSERT_TRUE(sink.wait("resumption"));
    const auto audio = ramp(10 * 1600, 3);
    send_chunks(session, audio, 0, 5 * 1600);
    ASSERT_TRUE(peer.wait_for([](const auto& m) { return audio_count(m) == 5; }));
    peer.send_on(0, R"({"goAway":{"timeLeft":"30s"}})");
    const auto reconnecting = sink.wait("reconnecting");
    ASSERT_TRUE(reconnecting);
    EXPECT_EQ(sink.events()[*reconnecting].reconnecting.cause, ReconnectCause::kGoAway);
    ASSERT_TRUE(poll_until([&] { return !peer.messages_on(1).empty(); }));
    EXPECT_NE(peer.messages_on(1).at(0).find(R"("handle":"h1")"), std::string::npos);

    // Until the new connection is set up, the old one carries the audio.
    send_chunks(session, audio, 5 * 1600, 8 * 1600);
    ASSERT_TRUE(poll_until([&] { return audio_count(peer.messages_on(0)) == 8; }));
    EXPECT_EQ(peer.messages_on(1).size(), 1u);
    peer.send_on(1, kSetupComplete);
    peer.send_on(1, update_json("h2", 7));  // all eight arrived on the old connection
    const auto resumed = sink.wait("resumed");
    ASSERT_TRUE(resumed);
    EXPECT_EQ(sink.events()[*resumed].resumed.cause, ReconnectCause::kGoAway);
    EXPECT_EQ(sink.events()[*resumed].resumed.gap, 0ms);
    const auto old_closed = peer.wait_closed();
    ASSERT_TRUE(old_closed);
    EXPECT_EQ(old_closed->code, 1000) << "the client closes the old connection itself";

    send_chunks(session, audio, 8 * 1600, audio.size());
    ASSERT_TRUE(poll_until([&] { return audio_count(peer.messages_on(1)) == 2; }));
    auto heard = audio_of(peer.messages_on(0));
    const auto after = audio_of(peer.messages_on(1));
    heard.insert(heard.end(), after.begin(), after.end());
    EXPECT_EQ(heard, audio) << "every sample exactly once across the switch-over";
    const auto stats = session.stats();
    EXPECT_EQ(stats.go_away_switches, 1u);
    EXPECT_EQ(stats.connections, 2u);
    EXPECT_EQ(stats.last_gap_ms, 0u);
    EXPECT_EQ(stats.audio_dropped_ms, 0u);
    EXPECT_FALSE(sink.wait("closed", 0, 0ms));
}

TEST(LiveSessionReconnectTest, TerminalCloseCodesEndTheSessionWithoutRetrying) {
    for (const std::uint16_t code : {1007, 1008, 1000}) {
        SCOPED_TRACE(code);
        ScriptedPeer peer;
        RecordingSink sink;
        LiveSession session(sink);
        ASSERT_TRUE(open_with(session, sink, peer, config_for(peer.url())));
        peer.close(code, "Request contains an invalid argument.");
        const auto closed = sink.wait("closed");
        ASSERT_TRUE(closed);
        EXPECT_EQ(sink.events()[*closed].closed.close_code, code);
        EXPECT_FALSE(sink.wait("reconnecting", 0, 0ms));
        EXPECT_EQ(peer.connection_count(), 1u);
    }
}

TEST(LiveSessionReconnectTest, TheGoAwayDeadlineCloseIsRetried) {
    ScriptedPeer peer;
    RecordingSink sink;
    LiveSession session(sink);
    auto config = config_for(peer.url());
    ASSERT_TRUE(open_with(session, sink, peer, config));
    // A model turn is in progress, so the switch waits for its end (far away)...
    peer.send_on(0, audio_json(240));
    ASSERT_TRUE(sink.wait("audio"));
    peer.send_on(0, R"({"goAway":{"timeLeft":"60s"}})");
    ASSERT_TRUE(sink.wait("go_away"));
    // ...and the server cuts the connection first: 1008 after a goAway is not final.
    peer.close_on(0, 1008, "Connection aborted because the client failed to close the connection");
    ASSERT_TRUE(sink.wait("interrupted")) << "the cut turn is ended for the player";
    ASSERT_TRUE(poll_until([&] { return !peer.messages_on(1).empty(); }));
    peer.send_on(1, kSetupComplete);
    ASSERT_TRUE(sink.wait("resumed"));
    EXPECT_FALSE(sink.wait("closed", 0, 0ms));
}

// The soak test's failure: a goAway during a turn, then the connection is lost before the
// switch-over; the new connection resumes, and the old goAway's switch-over must not cut it
// later (the server would answer the cut turn a second time).
TEST(LiveSessionReconnectTest, ALostConnectionTakesItsPendingGoAwayWithIt) {
    ScriptedPeer peer;
    RecordingSink sink;
    LiveSession session(sink);
    auto config = config_for(peer.url());
    config.reconnect.go_away_margin = 500ms;
    ASSERT_TRUE(open_with(session, sink, peer, config));
    // A model turn is in progress: the switch-over waits for its end, or 1.5 s.
    peer.send_on(0, audio_json(240));
    ASSERT_TRUE(sink.wait("audio"));
    peer.send_on(0, R"({"goAway":{"timeLeft":"2s"}})");
    ASSERT_TRUE(sink.wait("go_away"));
    peer.close_on(0, 1011, "Internal error occurred.");
    ASSERT_TRUE(poll_until([&] { return !peer.messages_on(1).empty(); }));
    peer.send_on(1, kSetupComplete);
    ASSERT_TRUE(sink.wait("resumed"));
    // Past the old goAway's switch-over time: still the one new connection.
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(peer.connection_count(), 2u);
    EXPECT_EQ(session.stats().go_away_switches, 0u);
    EXPECT_EQ(sink.count("reconnecting"), 1u);
}

TEST(LiveSessionReconnectTest, GivesUpAfterTheConfiguredTimeWithAClearReason) {
    RecordingSink sink;
    LiveSession session(sink);
    std::uint16_t port = 0;
    {
        ScriptedPeer peer;
        port = peer.port();
        auto config = config_for(peer.url());
        config.reconnect.first_backoff = 20ms;
        config.reconnect.give_up_after = 300ms;
        ASSERT_TRUE(open_with(session, sink, peer, config));
    }  // the server is gone: its connection drops, and reconnecting is refused
    const auto closed = sink.wait("closed");
    ASSERT_TRUE(closed);
    const auto c = sink.events()[*closed].closed;
    EXPECT_EQ(c.error, SessionError::kConnectionLost);
    EXPECT_TRUE(c.message.starts_with("gave up reconnecting after ")) << c.message;
    EXPECT_NE(c.message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << c.message;
    EXPECT_GE(sink.count("reconnecting"), 2u) << "retried with backoff first";
    EXPECT_EQ(session.state(), SessionState::kClosed);
}

TEST(LiveSessionTest, DestroyedRightAfterCloseTheSessionStillSendsEverythingAndANormalClose) {
    // What `parley talk` does at its end: close(), then the session goes away at once. The
    // queued audio and the close frame must still reach the peer before the io loop stops.
    ScriptedPeer peer;
    RecordingSink sink;
    {
        LiveSession session(sink);
        ASSERT_TRUE(open_with(session, sink, peer, config_for(peer.url())));
        for (int i = 0; i < 100; ++i) session.send_audio(ramp(320, i));
        session.audio_stream_end();
        session.close();
    }
    const auto peer_closed = peer.wait_closed();
    ASSERT_TRUE(peer_closed) << "the connection ended without a close frame";
    EXPECT_EQ(peer_closed->code, 1000);
    EXPECT_EQ(peer.messages().back(), R"({"realtimeInput":{"audioStreamEnd":true}})");
}

TEST(LiveSessionTest, DestroyingAnOpenSessionClosesItAndCallsTheSinkNoMore) {
    ScriptedPeer peer;
    RecordingSink sink;
    {
        LiveSession session(sink);
        ASSERT_TRUE(open_with(session, sink, peer, config_for(peer.url())));
    }
    const auto after = sink.count();
    ASSERT_TRUE(peer.wait_closed());
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(sink.count(), after);
}

TEST(LiveSessionTest, RunsOnTheCallersLoop) {
    ScriptedPeer peer;
    RecordingSink sink;
    transport::EventLoop loop;
    LiveSession session(sink, &loop);
    EXPECT_TRUE(loop.running());
    ASSERT_TRUE(open_with(session, sink, peer, config_for(peer.url())));
    std::promise<std::thread::id> io;
    loop.post([&io] { io.set_value(std::this_thread::get_id()); });
    EXPECT_EQ(sink.events()[0].thread, io.get_future().get());
}

// ---- against the local server (no speech engines needed) ----

class LiveSessionLocalServerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        server::ServerOptions options;
        options.port = 0;
        options.speech = false;
        auto started = server::LiveServer::start(options);
        ASSERT_TRUE(started) << started.error().message();
        server_ = std::move(*started);
    }
    static void TearDownTestSuite() { server_.reset(); }
    static inline std::unique_ptr<server::LiveServer> server_;
};

TEST_F(LiveSessionLocalServerTest, ConnectsAndTracksTheResumptionHandle) {
    RecordingSink sink;
    LiveSession session(sink);
    auto config = config_for(server_->url());
    config.connection.api_key.clear();  // the local server needs no real key
    ASSERT_TRUE(session.connect(config, Environment{}));
    ASSERT_TRUE(sink.wait("setup"));
    EXPECT_EQ(session.state(), SessionState::kOpen);
    const auto update = sink.wait("resumption");
    ASSERT_TRUE(update);
    const auto handle = sink.events()[*update].text;
    EXPECT_FALSE(handle.empty());
    EXPECT_EQ(session.resumption_handle(), handle);
    EXPECT_EQ(session.connect(config, Environment{}).error(), SessionError::kAlreadyConnected);
    session.close();
    ASSERT_TRUE(sink.wait("closed"));
}

TEST_F(LiveSessionLocalServerTest, UnknownModelIsClosedWith1008AndAClearLine) {
    RecordingSink sink;
    LiveSession session(sink);
    auto config = config_for(server_->url());
    config.model = "tunedModels/nope";
    ASSERT_TRUE(session.connect(config, Environment{}));
    const auto closed = sink.wait("closed");
    ASSERT_TRUE(closed);
    EXPECT_FALSE(sink.wait("setup", 0, 0ms));
    const auto c = sink.events()[*closed].closed;
    EXPECT_EQ(c.error, SessionError::kClosedByServer);
    EXPECT_EQ(c.close_code, 1008);
    EXPECT_EQ(c.message,
              "the server closed the session: 1008 tunedModels/nope is not found for API version "
              "v1beta, or is not supported for bidiGenerateContent.");
    EXPECT_EQ(c.message.find(kKey), std::string::npos);
}

TEST_F(LiveSessionLocalServerTest, UnknownResumptionHandleIsClosedWith1008) {
    RecordingSink sink;
    LiveSession session(sink);
    auto config = config_for(server_->url());
    config.resumption.handle = "no-such-handle";
    ASSERT_TRUE(session.connect(config, Environment{}));
    const auto closed = sink.wait("closed");
    ASSERT_TRUE(closed);
    EXPECT_EQ(sink.events()[*closed].closed.message,
              "the server closed the session: 1008 BidiGenerateContent session not found");
}

TEST(LiveSessionRefusedTest, RefusedConnectionIsAClearError) {
    std::uint16_t port = 0;
    {
        ScriptedPeer gone;  // a port that was free a moment ago and is closed now
        port = gone.port();
    }
    RecordingSink sink;
    LiveSession session(sink);
    ASSERT_TRUE(
        session.connect(config_for("ws://127.0.0.1:" + std::to_string(port)), Environment{}));
    const auto closed = sink.wait("closed");
    ASSERT_TRUE(closed);
    const auto c = sink.events()[*closed].closed;
    EXPECT_EQ(c.error, transport::Condition::kConnectFailed);
    const std::string prefix = "cannot connect to 127.0.0.1:" + std::to_string(port) + ": ";
    EXPECT_EQ(c.message.substr(0, prefix.size()), prefix) << c.message;
    std::string lower = c.message;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    EXPECT_NE(lower.find("refused"), std::string::npos) << c.message;
    EXPECT_EQ(c.message.find('\n'), std::string::npos);
    EXPECT_EQ(c.message.find(kKey), std::string::npos);
}

}  // namespace
}  // namespace parley::session

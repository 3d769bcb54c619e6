// SPDX-License-Identifier: Apache-2.0
#include "parley/smoke_demo.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "parley/local_server.hpp"
#include "session/live_session.hpp"

namespace parley {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Collects one turn at a time; events arrive on the session's io thread.
class TurnCollector final : public session::LiveSessionSink {
public:
    void on_input_transcription(const session::Transcript& t) override {
        std::lock_guard lock(mutex_);
        heard_ += t.text;
    }
    void on_output_transcription(session::TurnId, const session::Transcript& t) override {
        std::lock_guard lock(mutex_);
        said_ += t.text;
    }
    void on_audio(session::AudioChunk chunk) override {
        std::lock_guard lock(mutex_);
        if (audio_samples_ == 0) first_audio_ = Clock::now();
        audio_samples_ += chunk.samples.size();
    }
    void on_turn_complete(const session::TurnComplete&) override {
        std::lock_guard lock(mutex_);
        complete_ = true;
        changed_.notify_all();
    }
    void on_closed(const session::SessionClosed& closed) override {
        std::lock_guard lock(mutex_);
        closed_ = closed.message.empty() ? "closed" : closed.message;
        changed_.notify_all();
    }

    struct Turn {
        bool answered = false;
        std::string heard, said, problem;
        double audio_seconds = 0;
        Clock::time_point first_audio{};
    };
    Turn wait(std::chrono::seconds timeout) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, timeout, [&] { return complete_ || !closed_.empty(); });
        Turn turn{complete_, heard_, said_, closed_, audio_samples_ / 24000.0, first_audio_};
        if (!complete_ && closed_.empty()) turn.problem = "no answer within " +
                                                          std::to_string(timeout.count()) + " s";
        complete_ = false;
        heard_.clear();
        said_.clear();
        audio_samples_ = 0;
        return turn;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool complete_ = false;
    std::string heard_, said_, closed_;
    std::size_t audio_samples_ = 0;
    Clock::time_point first_audio_{};
};

}  // namespace

int run_smoke_demo(std::FILE* out) {
    std::fprintf(out,
                 "parley demo: smoke path (the scripted voice conversation of issue #4 is not built "
                 "yet): an in-process `parley serve` answers a scripted client\n");
    LocalServerOptions options;
    options.port = 0;
    auto server = LocalServer::start(options);
    if (!server) {
        std::fprintf(out, "parley demo: cannot start the local server: %s\n",
                     server.error().message().c_str());
        return 1;
    }
    TurnCollector collector;
    session::LiveSession live(collector);
    session::LiveSessionConfig config;
    config.connection.url = (*server)->url();
    if (auto connected = live.connect(config); !connected) {
        std::fprintf(out, "parley demo: %s\n", connected.error().message().c_str());
        return 1;
    }
    const char* spoken[] = {"what is twelve times seven", "say hello world"};
    int failures = 0;
    auto report = [&](const char* asked, const TurnCollector::Turn& turn, Clock::time_point end) {
        if (!turn.answered) {
            std::fprintf(out, "  %-28s -> FAILED: %s\n", asked, turn.problem.c_str());
            ++failures;
            return;
        }
        const auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(
            turn.first_audio - end);
        std::fprintf(out, "  you:   %s\n  heard: %s\n  model: %s (%.1f s of audio, first audio %lld ms "
                     "after the question ended)\n",
                     asked, turn.heard.empty() ? "(typed)" : turn.heard.c_str(), turn.said.c_str(),
                     turn.audio_seconds, static_cast<long long>(latency.count()));
    };
    for (const char* question : spoken) {
        auto speech = speak(question, "slt", 16000);
        if (!speech) {
            std::fprintf(out, "parley demo: %s\n", speech.error().message().c_str());
            return 1;
        }
        speech->resize(speech->size() + 16000 * 3 / 2, 0);  // 1.5 s of silence ends the turn
        // Paced in real time, in 20 ms chunks, as a microphone would deliver it.
        constexpr std::size_t kChunk = 320;
        const auto start = Clock::now();
        for (std::size_t at = 0; at < speech->size(); at += kChunk) {
            live.send_audio(std::span(*speech).subspan(at, std::min(kChunk, speech->size() - at)));
            std::this_thread::sleep_until(start + 20ms * (at / kChunk + 1));
        }
        const auto sent = Clock::now() - 1500ms;
        report(question, collector.wait(30s), sent);
    }
    live.send_text("what is six plus seven");
    const auto typed_at = Clock::now();
    report("what is six plus seven", collector.wait(30s), typed_at);
    live.close();
    std::fprintf(out, "parley demo: %s\n", failures == 0 ? "every turn was answered" : "some turns failed");
    return failures == 0 ? 0 : 1;
}

}  // namespace parley

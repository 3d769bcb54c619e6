// SPDX-License-Identifier: Apache-2.0
// conversation_barge_in: the Conversation client's barge-in figures (BENCHMARKS.md "Conversation
// client"); a plain program, not Google Benchmark. (a) barge-in onset -> output silent over N
// barge-ins: the whole client (ScriptedDevice with a simulated room, dsp thread, Player,
// LiveSession) against the in-process local server, paced in real time; the server is set to
// NO_INTERRUPTION so every barge-in is a local pause that resumes, and one long answer serves
// them all. (c) false barge-ins: the client's dsp path (ConversationDsp: canceller, echo gate,
// VAD, speech detector) playing M minutes of model speech through the room, unpaced. Before (a),
// the dsp path's share of it, stepped by hand, with the render ring played out and dropped.
// --speaker-ppm P runs the speaker on a clock of its own, P ppm fast, as two sound cards do: the
// reference then follows the capture's clock through a variable-ratio resampler.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "parley/conversation.hpp"
#include "parley/local_server.hpp"
#include "session/conversation_dsp.hpp"

namespace parley {
namespace {

using namespace std::chrono_literals;
using Type = ConversationEventType;

double g_speaker_ppm = 0.0;

// The simulated room every part plays through.
device::SimulatedDeviceOptions room_options(device::Pacing pacing, int rate_hz) {
    device::SimulatedDeviceOptions options;
    options.pacing = pacing;
    options.echo_path = make_room_echo(rate_hz);
    options.output_clock_ppm = g_speaker_ppm;
    return options;
}

class CountingSink final : public ConversationSink {
public:
    void on_event(const ConversationEvent& event) override {
        std::lock_guard lock(mutex_);
        if (event.type == Type::kModelAudible)
            ++audible_;
        if (event.type == Type::kReady)
            ready_ = true;
        changed_.notify_all();
    }
    bool wait_audible(std::chrono::seconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return audible_ > 0; });
    }
    bool wait_ready(std::chrono::seconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return ready_; });
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int audible_ = 0;
    bool ready_ = false;
};

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

int barge_in_latency(int count) {
    constexpr int kRate = 16000;
    LocalServerOptions server_options;
    server_options.port = 0;
    auto server = LocalServer::start(server_options);
    if (!server) {
        std::fprintf(stderr, "cannot start the local server: %s\n",
                     server.error().message().c_str());
        return 1;
    }
    ScriptedDevice device(kRate, room_options(device::Pacing::kRealtime, kRate));
    CountingSink sink;
    Conversation conversation(device, sink);
    ConversationConfig config;
    config.session.connection.url = (*server)->url();
    config.session.activity_handling = protocol::ActivityHandling::kNoInterruption;
    std::string why;
    if (!conversation.start(config, &why) || !sink.wait_ready(10s)) {
        std::fprintf(stderr, "cannot start the conversation: %s\n", why.c_str());
        return 1;
    }
    auto request = speak("Tell me a story.", "slt", kRate);
    auto interjection = speak("Okay.", "slt", kRate);
    if (!request || !interjection)
        return 1;
    request->resize(request->size() + kRate * 3 / 2, 0);
    device.say(*request);
    if (!sink.wait_audible(30s)) {
        std::fprintf(stderr, "the story never played\n");
        return 1;
    }
    std::this_thread::sleep_for(2500ms);  // the canceller converges on the first sentences
    for (int i = 0; i < count; ++i) {
        const auto before = conversation.barge_in_silences_ms().size();
        device.say(*interjection);
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (conversation.barge_in_silences_ms().size() == before &&
               std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(20ms);
        }
        std::this_thread::sleep_for(1200ms);  // the pause resumes, the story goes on
        if (!conversation.model_playing())
            break;
    }
    conversation.stop();
    const auto silences = conversation.barge_in_silences_ms();
    if (silences.empty()) {
        std::fprintf(stderr, "no barge-in was measured\n");
        return 1;
    }
    std::printf(
        "(a) barge-in onset -> output silent over %zu barge-ins: median %.0f ms, p95 %.0f ms, "
        "max %.0f ms\n",
        silences.size(), percentile(silences, 0.5), percentile(silences, 0.95),
        *std::max_element(silences.begin(), silences.end()));
    return 0;
}

class CountingObserver final : public session::DspObserver {
public:
    void on_speech_start(double, double) override { ++starts; }
    void on_speech_end(double, double) override {}
    void on_turn_audible(dsp::TurnId, double) override {}
    void on_output_silent(double) override {}
    void on_tick(double) override {}
    std::atomic<int> starts{0};
};

// The dsp path's share of (a), stepped by hand (no server, no real-time pacing): the story plays
// through the room, the user says "Okay." every 3 s, the observer pauses the Player on START
// (as Conversation does) and resumes it a second later. Per barge-in: detector confirmation
// (START decided - VAD onset) and START -> output silent (render ring or its drop, fades).
class PausingObserver final : public session::DspObserver {
public:
    explicit PausingObserver(dsp::Player& player) : player_(player) {}
    void on_speech_start(double onset_ms, double now_ms) override {
        if (!player_.current_turn() || player_.paused())
            return;
        player_.pause();
        onset_ms_ = onset_ms;
        start_ms_ = now_ms;
        measuring_ = true;
    }
    void on_speech_end(double, double) override {}
    void on_turn_audible(dsp::TurnId, double) override {}
    void on_output_silent(double heard_ms) override {
        if (!measuring_)
            return;
        measuring_ = false;
        confirm_ms.push_back(start_ms_ - onset_ms_);
        output_ms.push_back(heard_ms - start_ms_);
    }
    void on_tick(double now_ms) override {
        if (player_.paused() && now_ms - start_ms_ >= 1000.0)
            player_.resume();
    }
    std::vector<double> confirm_ms, output_ms;

private:
    dsp::Player& player_;
    double onset_ms_ = 0, start_ms_ = 0;
    bool measuring_ = false;
};

int barge_in_parts(int count, bool drop_render) {
    constexpr int kRate = 16000;
    std::vector<std::int16_t> story;
    for (int i = 0; i < 3; ++i) {
        auto part = speak(
            "Once upon a time, in a small town by the sea, there lived a lighthouse keeper named "
            "Tom. Every night he climbed one hundred steps to light the great lamp at the top of "
            "the tower. One winter evening a storm rolled in from the north, and the wind began "
            "to howl.",
            "slt", 24000);
        if (!part)
            return 1;
        story.insert(story.end(), part->begin(), part->end());
    }
    auto interjection = speak("Okay.", "slt", kRate);
    if (!interjection)
        return 1;
    ScriptedDevice device(kRate, room_options(device::Pacing::kManual, kRate));
    if (!device.open())
        return 1;
    dsp::Player player;
    PausingObserver observer(player);
    session::ConversationDspConfig config;
    config.drop_render_on_barge_in = drop_render;
    auto dsp = session::ConversationDsp::create(
        device, player, observer, [](std::span<const std::int16_t>) {}, config);
    if (!dsp || !device.start())
        return 1;
    (*dsp)->start();
    const auto run_ms = [&](int ms) {
        for (int i = 0; i < ms / 10; ++i) (void)device.step_until_read();
    };
    (void)player.push(1, story);
    run_ms(2500);  // the canceller converges on the first sentences
    for (int i = 0; i < count && player.queued_samples() > 48000; ++i) {
        device.say(*interjection);
        run_ms(3000);
    }
    (*dsp)->stop();
    device.stop();
    if (observer.output_ms.empty()) {
        std::fprintf(stderr, "no barge-in was measured\n");
        return 1;
    }
    std::vector<double> total;
    for (std::size_t i = 0; i < observer.output_ms.size(); ++i)
        total.push_back(observer.confirm_ms[i] + observer.output_ms[i]);
    std::printf(
        "(a, dsp path, render ring %s) %zu barge-ins: detector confirmation median %.0f / p95 "
        "%.0f ms; START -> output silent median %.0f / p95 %.0f ms; onset -> silent median %.0f "
        "/ p95 %.0f ms\n",
        drop_render ? "dropped" : "played out", total.size(), percentile(observer.confirm_ms, 0.5),
        percentile(observer.confirm_ms, 0.95), percentile(observer.output_ms, 0.5),
        percentile(observer.output_ms, 0.95), percentile(total, 0.5), percentile(total, 0.95));
    return 0;
}

int false_barge_ins(int minutes) {
    constexpr int kRate = 16000;
    // Model speech: the built-in brain's voice (flite) reading a long text, at the Live API's
    // output rate, repeated to fill the time.
    auto speech = speak(
        "Once upon a time, in a small town by the sea, there lived a lighthouse keeper named Tom. "
        "Every night he climbed one hundred steps to light the great lamp at the top of the "
        "tower. One winter evening a storm rolled in from the north, and the wind began to howl. "
        "Far out on the water, a little fishing boat was lost in the rain. The captain heard the "
        "bell and followed the light through the night. And every night, the lamp still shines "
        "across the sea.",
        "Puck", 24000);
    if (!speech)
        return 1;
    ScriptedDevice device(kRate, room_options(device::Pacing::kUnpaced, kRate));
    if (!device.open())
        return 1;
    dsp::Player player;
    CountingObserver observer;
    std::size_t sent = 0;
    auto dsp = session::ConversationDsp::create(
        device, player, observer,
        [&sent](std::span<const std::int16_t> pcm) { sent += pcm.size(); }, {});
    if (!dsp)
        return 1;
    const double total_ms = minutes * 60000.0;
    const double speech_ms = static_cast<double>(speech->size()) / 24.0;
    const auto repeats = static_cast<int>(total_ms / speech_ms) + 1;
    for (int i = 0; i < repeats; ++i) (void)player.push(1, *speech);
    const auto t0 = std::chrono::steady_clock::now();
    if (!device.start())
        return 1;
    (*dsp)->start();
    while (player.queued_samples() > 0) std::this_thread::sleep_for(50ms);
    std::this_thread::sleep_for(200ms);
    (*dsp)->stop();
    device.stop();
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double played_s = player.played_ms(1) / 1000.0;
    std::printf(
        "(c) false barge-ins over %.1f min of echo-only playback through the room: %d local "
        "speech starts (time-compressed: %.1f min of audio in %.0f s)\n",
        played_s / 60.0, observer.starts.load(), (*dsp)->now_ms() / 60000.0, wall_s);
    return observer.starts.load() == 0 ? 0 : 2;
}

}  // namespace
}  // namespace parley

int main(int argc, char** argv) {
    (void)parley::set_log_level("warn");
    int barge_ins = 20;
    int minutes = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--barge-ins")
            barge_ins = std::atoi(argv[i + 1]);
        else if (flag == "--minutes")
            minutes = std::atoi(argv[i + 1]);
        else if (flag == "--speaker-ppm")
            parley::g_speaker_ppm = std::atof(argv[i + 1]);
    }
    if (argc % 2 == 0 || std::abs(parley::g_speaker_ppm) > 10000) {
        std::fprintf(stderr,
                     "usage: conversation_barge_in [--barge-ins N] [--minutes M] "
                     "[--speaker-ppm P (-10000..10000)]\n");
        return 1;
    }
    int code = 0;
    if (barge_ins > 0) {
        code |= parley::barge_in_parts(barge_ins, false);
        code |= parley::barge_in_parts(barge_ins, true);
    }
    // The whole conversation before the false barge-ins: after flite has read their long text,
    // its rendering of the request differs, and with it this part measured no barge-in.
    if (barge_ins > 0)
        code |= parley::barge_in_latency(barge_ins);
    if (minutes > 0)
        code |= parley::false_barge_ins(minutes);
    return code;
}

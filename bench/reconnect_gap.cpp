// SPDX-License-Identifier: Apache-2.0
// reconnect_gap: how long the server goes without the user's audio across a goAway switch-over
// and across a dropped connection (issue 5; target: nothing lost, switch-over silence under
// 200 ms). A LiveSession streams 20 ms microphone chunks in real time to an in-process local
// server through the fault proxy, which timestamps every client frame; the figure is the longest
// pause between audio frames around each event. Usage: reconnect_gap [seconds per phase]
#include <algorithm>
#include <cstdio>
#include <thread>

#include "server/live_server.hpp"
#include "session/live_session.hpp"
#include "support/fault_proxy.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using parley::test::FrameRecord;

struct Phase {
    double max_gap_ms = 0;
    double median_interval_ms = 0;
    parley::session::SessionStats stats;
    std::uint64_t events = 0;
};

// The longest pause between consecutive client audio frames (setup frames left out), and the
// usual interval.
void measure(const std::vector<FrameRecord>& frames, Phase& phase) {
    std::vector<FrameRecord> audio;
    std::uint64_t last_connection = 0;
    for (const auto& f : frames) {
        if (f.connection != last_connection) {  // the first frame of a connection is its setup
            last_connection = f.connection;
            continue;
        }
        audio.push_back(f);
    }
    std::sort(audio.begin(), audio.end(), [](auto& a, auto& b) { return a.at < b.at; });
    std::vector<double> intervals;
    for (std::size_t i = 1; i < audio.size(); ++i) {
        intervals.push_back(
            std::chrono::duration<double, std::milli>(audio[i].at - audio[i - 1].at).count());
    }
    if (intervals.empty())
        return;
    phase.max_gap_ms = *std::max_element(intervals.begin(), intervals.end());
    std::nth_element(intervals.begin(), intervals.begin() + intervals.size() / 2, intervals.end());
    phase.median_interval_ms = intervals[intervals.size() / 2];
}

class Quiet : public parley::session::LiveSessionSink {};

Phase run(bool go_away, int seconds) {
    parley::server::ServerOptions options;
    options.port = 0;
    options.speech = false;
    options.max_connection = go_away ? 3s : 0s;
    options.go_away_notice = 1s;
    auto server = parley::server::LiveServer::start(options);
    if (!server) {
        std::fprintf(stderr, "cannot start the server: %s\n", server.error().message().c_str());
        std::exit(1);
    }
    auto proxy = parley::test::FaultProxy::start((*server)->port(), {.record_up_frames = true});
    if (!proxy) {
        std::fprintf(stderr, "cannot start the proxy\n");
        std::exit(1);
    }
    Quiet sink;
    parley::session::LiveSession session(sink);
    parley::session::LiveSessionConfig config;
    config.model = "gemini-bench";
    config.connection.url = (*proxy)->url();
    config.reconnect.go_away_margin = 200ms;
    if (!session.connect(config, {})) {
        std::fprintf(stderr, "cannot connect\n");
        std::exit(1);
    }
    const std::vector<std::int16_t> chunk(320, 100);  // 20 ms
    const auto start = Clock::now();
    auto next = start;
    int index = 0;
    Phase phase;
    while (Clock::now() - start < std::chrono::seconds(seconds)) {
        session.send_audio(chunk);
        ++index;
        // Drops at 1.5 s, then every 3 s (mid-stream, as a network would).
        if (!go_away && index % 150 == 75) {
            (*proxy)->drop_connections();
            ++phase.events;
        }
        next += 20ms;
        std::this_thread::sleep_until(next);
    }
    std::this_thread::sleep_for(500ms);
    phase.stats = session.stats();
    if (go_away)
        phase.events = phase.stats.go_away_switches;
    measure((*proxy)->up_frames(), phase);
    return phase;
}

void print(const char* name, const Phase& p, int seconds) {
    std::printf(
        "%-26s events %2llu  longest pause in the user's audio %6.1f ms (usual %4.1f ms)  "
        "sent %llu of %d ms, resent %llu ms, lost %llu ms, dropped %llu ms\n",
        name, static_cast<unsigned long long>(p.events), p.max_gap_ms, p.median_interval_ms,
        static_cast<unsigned long long>(p.stats.audio_sent_ms), seconds * 1000,
        static_cast<unsigned long long>(p.stats.audio_resent_ms),
        static_cast<unsigned long long>(p.stats.audio_lost_ms),
        static_cast<unsigned long long>(p.stats.audio_dropped_ms));
}

}  // namespace

int main(int argc, char** argv) {
    const int seconds = argc > 1 ? std::max(3, std::atoi(argv[1])) : 10;
    print("goAway switch-over", run(true, seconds), seconds);
    print("dropped connection", run(false, seconds), seconds);
    return 0;
}

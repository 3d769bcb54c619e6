// SPDX-License-Identifier: Apache-2.0
// client_cost_sink: the local Live API peer of the client cost benchmark (BENCHMARKS.md "Client
// cost (issue #4 (d))"; scripts/run_client_benchmark.sh). On loopback it accepts any upgrade,
// answers setup, swallows the input audio (counting it) and streams --seconds of 24 kHz PCM16 down
// as serverContent.modelTurn chunks paced in real time, then generationComplete + turnComplete
// once the client has sent --input-seconds of audio (or gone quiet). One summary line per
// session on stdout. All connection work on the EventLoop's io thread; main only waits.
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "protocol/base64.hpp"
#include "transport/event_loop.hpp"
#include "transport/ws_server.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using parley::transport::EventLoop;
using parley::transport::MessageKind;
using parley::transport::WsConnection;

constexpr int kOutputRateHz = 24000;
constexpr int kInputRateHz = 16000;

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void on_signal(int /*signal*/) {
    stop_requested = 1;
}

struct SinkOptions {
    int seconds = 60;          // model audio streamed down
    double input_seconds = 0;  // end the turn once this much input arrived (0: when quiet)
    int chunk_ms = 40;         // model audio per message
    std::uint16_t port = 0;
    int quiet_ms = 1500;  // no input for this long also ends the turn (after the audio)
};

// One modelTurn message holding `chunk_ms` of a two-tone signal (250 + 500 Hz: whole periods in
// any multiple of 4 ms, so the same chunk repeats without a click).
std::string audio_message(int chunk_ms) {
    const int samples = kOutputRateHz * chunk_ms / 1000;
    std::vector<std::uint8_t> bytes;
    bytes.reserve(static_cast<std::size_t>(samples) * 2);
    constexpr double kTwoPi = 6.283185307179586;
    for (int i = 0; i < samples; ++i) {
        const double t = static_cast<double>(i) / kOutputRateHz;
        const auto v = static_cast<std::int16_t>(6000.0 * std::sin(kTwoPi * 250.0 * t) +
                                                 3000.0 * std::sin(kTwoPi * 500.0 * t));
        const auto u = static_cast<std::uint16_t>(v);
        bytes.push_back(static_cast<std::uint8_t>(u & 0xFF));
        bytes.push_back(static_cast<std::uint8_t>(u >> 8));
    }
    std::string message =
        R"({"serverContent":{"modelTurn":{"parts":[{"inlineData":{"mimeType":"audio/pcm;rate=24000","data":")";
    parley::protocol::base64_encode_append(bytes, message);
    message += R"("}}]}}})";
    return message;
}

// Bytes of audio in a client message: the decoded size of every "data" string in it.
std::size_t audio_bytes_in(std::string_view payload) {
    constexpr std::string_view kKey = R"("data":")";
    std::size_t total = 0;
    for (auto at = payload.find(kKey); at != std::string_view::npos; at = payload.find(kKey, at)) {
        at += kKey.size();
        const auto end = payload.find('"', at);
        if (end == std::string_view::npos)
            break;
        std::size_t chars = end - at;
        std::size_t pad = 0;
        while (pad < 2 && chars > pad && payload[end - 1 - pad] == '=') ++pad;
        total += chars / 4 * 3 - pad;
        at = end;
    }
    return total;
}

class Sink;

// One client connection (io).
class Peer : public std::enable_shared_from_this<Peer> {
public:
    Peer(Sink& sink, std::unique_ptr<WsConnection> connection, int id)
        : sink_(sink), connection_(std::move(connection)), id_(id) {}
    void start();

private:
    void on_message(MessageKind kind, std::string payload);
    void tick();
    void finish(const std::string& how);

    Sink& sink_;
    std::unique_ptr<WsConnection> connection_;
    int id_;
    bool set_up_ = false;
    bool turn_done_ = false;
    Clock::time_point start_{};
    Clock::time_point last_input_{};
    Clock::time_point turn_end_{};
    std::uint64_t chunks_sent_ = 0;
    std::uint64_t input_bytes_ = 0;
    std::uint64_t input_messages_ = 0;
    std::uint64_t max_lag_ms_ = 0;
    parley::transport::TimerHandle timer_;
};

class Sink {
public:
    Sink(EventLoop& loop, SinkOptions options)
        : loop_(loop), options_(options), chunk_(audio_message(options.chunk_ms)) {}
    EventLoop& loop() { return loop_; }
    const SinkOptions& options() const { return options_; }
    const std::string& chunk() const { return chunk_; }
    void add(std::unique_ptr<WsConnection> connection) {
        const int id = ++next_id_;
        auto peer = std::make_shared<Peer>(*this, std::move(connection), id);
        peers_[id] = peer;
        peer->start();
    }
    // Drops every connection (io).
    void clear() { peers_.clear(); }
    void remove(int id) {
        // Not destroyed here: we are inside one of its handlers.
        loop_.post([this, id] { peers_.erase(id); });
    }

private:
    EventLoop& loop_;
    SinkOptions options_;
    std::string chunk_;
    int next_id_ = 0;
    std::map<int, std::shared_ptr<Peer>> peers_;
};

void Peer::start() {
    std::weak_ptr<Peer> weak = weak_from_this();
    connection_->start({.on_message =
                            [weak](MessageKind kind, std::string payload) {
                                if (auto self = weak.lock())
                                    self->on_message(kind, std::move(payload));
                            },
                        .on_close =
                            [weak](const parley::transport::CloseInfo& info) {
                                if (auto self = weak.lock())
                                    self->finish("closed " + std::to_string(info.code));
                            },
                        .on_error =
                            [weak](std::error_code ec) {
                                if (auto self = weak.lock())
                                    self->finish("failed: " + ec.message());
                            },
                        .on_pong = {}});
}

void Peer::on_message(MessageKind /*kind*/, std::string payload) {
    const auto now = Clock::now();
    if (!set_up_) {
        if (payload.find("\"setup\"") == std::string::npos)
            return;
        set_up_ = true;
        connection_->send_text(R"({"setupComplete":{}})");
        start_ = now;
        last_input_ = now;
        tick();
        return;
    }
    const auto bytes = audio_bytes_in(payload);
    if (bytes > 0) {
        input_bytes_ += bytes;
        ++input_messages_;
        last_input_ = now;
    }
}

void Peer::tick() {
    if (turn_done_ || !connection_->is_open())
        return;
    const auto& options = sink_.options();
    const auto now = Clock::now();
    const auto total_chunks = static_cast<std::uint64_t>(options.seconds) * 1000 /
                              static_cast<std::uint64_t>(options.chunk_ms);
    const auto chunk = std::chrono::milliseconds(options.chunk_ms);
    // Every chunk that is due by now (real time from setupComplete).
    while (chunks_sent_ < total_chunks && start_ + chunks_sent_ * chunk <= now) {
        const auto lag = std::chrono::duration_cast<std::chrono::milliseconds>(
            now - (start_ + chunks_sent_ * chunk));
        max_lag_ms_ = std::max<std::uint64_t>(max_lag_ms_, static_cast<std::uint64_t>(lag.count()));
        connection_->send_text(sink_.chunk());
        ++chunks_sent_;
    }
    std::chrono::milliseconds next = 20ms;
    if (chunks_sent_ < total_chunks) {
        next = std::chrono::duration_cast<std::chrono::milliseconds>(start_ + chunks_sent_ * chunk -
                                                                     now);
    } else {
        const double input_ms = static_cast<double>(input_bytes_) / 2.0 * 1000.0 / kInputRateHz;
        const bool enough = options.input_seconds > 0 && input_ms >= options.input_seconds * 1000.0;
        const bool quiet = now - last_input_ >= std::chrono::milliseconds(options.quiet_ms);
        if (enough || quiet) {
            connection_->send_text(R"({"serverContent":{"generationComplete":true}})");
            connection_->send_text(R"({"serverContent":{"turnComplete":true}})");
            turn_done_ = true;
            turn_end_ = now;
            return;
        }
        next = 50ms;
    }
    timer_ = sink_.loop().schedule(std::max(next, 0ms), [weak = weak_from_this()] {
        if (auto self = weak.lock())
            self->tick();
    });
}

void Peer::finish(const std::string& how) {
    timer_.cancel();
    const auto& options = sink_.options();
    const double input_s = static_cast<double>(input_bytes_) / 2.0 / kInputRateHz;
    const double down_s = static_cast<double>(chunks_sent_) * options.chunk_ms / 1000.0;
    const double turn_end_s =
        turn_done_ ? std::chrono::duration<double>(turn_end_ - start_).count() : -1.0;
    std::printf(
        "session %d: %s; received %.2f s of input audio in %llu messages (%.1f ms each); sent "
        "%.2f s of audio in %llu chunks (latest %llu ms behind schedule); turnComplete at %.2f "
        "s\n",
        id_, how.c_str(), input_s, static_cast<unsigned long long>(input_messages_),
        input_messages_ > 0 ? input_s * 1000.0 / static_cast<double>(input_messages_) : 0.0, down_s,
        static_cast<unsigned long long>(chunks_sent_), static_cast<unsigned long long>(max_lag_ms_),
        turn_end_s);
    std::fflush(stdout);
    sink_.remove(id_);
}

}  // namespace

int main(int argc, char** argv) {
    SinkOptions options;
    CLI::App app{"client_cost_sink: a scripted Live API peer for the client cost benchmark"};
    app.add_option("--seconds", options.seconds, "Seconds of model audio streamed down")
        ->check(CLI::Range(1, 3600));
    app.add_option("--input-seconds", options.input_seconds,
                   "End the turn once this much input audio arrived (0: when it goes quiet)");
    app.add_option("--chunk-ms", options.chunk_ms, "Model audio per message (ms, multiple of 4)")
        ->check(CLI::Range(4, 1000));
    app.add_option("--quiet-ms", options.quiet_ms, "No input for this long also ends the turn");
    app.add_option("--port", options.port, "Port on 127.0.0.1 (0: a free one)");
    CLI11_PARSE(app, argc, argv);

    EventLoop loop;
    Sink sink(loop, options);
    parley::transport::WsServerOptions server_options;
    server_options.port = options.port;
    auto server = parley::transport::WsServer::listen(
        loop, server_options, [&sink](const parley::transport::UpgradeRequest& /*request*/) {
            return parley::transport::UpgradeDecision::accept(
                [&sink](std::unique_ptr<WsConnection> connection) {
                    sink.add(std::move(connection));
                });
        });
    if (!server) {
        std::fprintf(stderr, "client_cost_sink: cannot listen: %s\n",
                     server.error().message().c_str());
        return 1;
    }
    loop.start();
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf("listening on ws://127.0.0.1:%u\n", static_cast<unsigned>((*server)->port()));
    std::fflush(stdout);
    while (stop_requested == 0) std::this_thread::sleep_for(100ms);
    (*server)->stop();
    // Connections are destroyed on io, before it stops.
    std::promise<void> cleared;
    loop.post([&] {
        sink.clear();
        cleared.set_value();
    });
    (void)cleared.get_future().wait_for(5s);
    loop.stop();
    return 0;
}

// SPDX-License-Identifier: Apache-2.0
// server_load: load generator and latency meter for `parley serve` (a separate process), over
// loopback. Modes: latency (end of speech -> first reply audio), bargein (speech onset ->
// interrupted), concurrency (N sessions asking a question every period), idle (server RSS per
// set-up session). One io thread drives every session with one shared ticker; the main thread
// prepares the audio, waits, and prints the summary. scripts/run_server_benchmarks.sh runs it.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/log.hpp"
#include "dsp/speech_detector.hpp"
#include "dsp/vad.hpp"
#include "protocol/codec.hpp"
#include "server_load_proc.hpp"
#include "server_load_prompts.hpp"
#include "server_load_session.hpp"
#include "support/test_audio.hpp"
#include "transport/event_loop.hpp"

namespace parley::bench {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

struct Options {
    std::string url;
    std::string mode = "latency";
    std::size_t sessions = 1;
    double duration_s = 40;
    std::size_t questions = 20;
    int silence_ms = 800;
    int chunk_ms = 20;
    double noise_rms = 10;
    double period_s = 8;
    double gap_s = 1;
    std::string preamble;
    std::size_t connect_parallel = 16;
    int server_pid = 0;
    bool verbose = false;
};

double ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// Nearest-rank percentile of `values` (sorted here); NaN when empty.
double percentile(std::vector<double> values, double p) {
    if (values.empty())
        return std::nan("");
    std::sort(values.begin(), values.end());
    const auto rank =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

std::string make_setup(const Options& options, bool transcribe) {
    protocol::Setup setup;
    setup.model = "models/gemini-2.5-flash-native-audio-preview-09-2025";
    protocol::GenerationConfig generation;
    generation.response_modalities = std::vector<protocol::Modality>{protocol::Modality::kAudio};
    setup.generation_config = generation;
    if (transcribe)
        setup.input_audio_transcription = protocol::AudioTranscriptionConfig{};
    protocol::AutomaticActivityDetection detection;
    detection.silence_duration_ms = options.silence_ms;
    protocol::RealtimeInputConfig realtime;
    realtime.automatic_activity_detection = detection;
    setup.realtime_input_config = realtime;
    return protocol::encode_client_message(setup);
}

std::string typed_turn(const std::string& text) {
    protocol::ClientContent content;
    content.turns = std::vector<protocol::Content>{protocol::text_content(text, "user")};
    content.turn_complete = true;
    return protocol::encode_client_message(content);
}

// One benchmark run: the sessions, the ticker and the mode's logic, all on the io thread.
class Run {
public:
    Run(Options options, std::vector<Prompt> prompts)
        : options_(std::move(options)),
          prompts_(std::move(prompts)),
          silence_(background_chunks(options_.chunk_ms, options_.noise_rms)),
          chunk_(options_.chunk_ms),
          silence_duration_(options_.silence_ms) {}

    // Runs the mode to its end (bounded by `limit`); false on timeout.
    bool execute(std::chrono::seconds limit) {
        loop_.start();
        if (options_.server_pid > 0) {
            rss_before_ = read_rss_kib(options_.server_pid);
            cpu_before_ = read_cpu(options_.server_pid);
        }
        wall_before_ = Clock::now();
        client_cpu_before_ = own_cpu_seconds();
        loop_.post([this] { connect_all(); });
        auto finished = finished_.get_future();
        const bool done = finished.wait_for(limit) == std::future_status::ready;
        wall_after_ = Clock::now();
        client_cpu_after_ = own_cpu_seconds();
        if (options_.server_pid > 0) {
            cpu_after_ = read_cpu(options_.server_pid);
            rss_after_ = read_rss_kib(options_.server_pid);
        }
        teardown();
        return done;
    }

    void report(bool completed) const;

private:
    // --- common ---------------------------------------------------------------------------
    void connect_all() {
        sessions_.reserve(options_.sessions);
        LoadSession::Handlers handlers;
        handlers.on_event = [this](LoadSession& s, ServerEvent e, Clock::time_point at,
                                   const std::string& text) { on_event(s, e, at, text); };
        handlers.on_speech = [this](LoadSession& s, SpeechMark m, Clock::time_point at) {
            on_speech(s, m, at);
        };
        for (std::size_t i = 0; i < options_.sessions; ++i) {
            sessions_.push_back(
                std::make_unique<LoadSession>(loop_, i, silence_, chunk_, handlers));
            states_.emplace_back();
        }
        setup_ = make_setup(options_, options_.mode != "idle");
        connect_started_ = Clock::now();
        for (std::size_t i = 0; i < std::min(options_.connect_parallel, sessions_.size()); ++i) {
            connect_next();
        }
    }

    void connect_next() {
        if (next_connect_ >= sessions_.size())
            return;
        auto& session = *sessions_[next_connect_++];
        session.connect(options_.url, setup_, [this](const std::string& error) {
            if (!error.empty()) {
                ++connect_failures_;
                if (first_error_.empty())
                    first_error_ = error;
                on_set_up();  // counts as done, so the run goes on with fewer sessions
            }
        });
    }

    // One more session is set up (or failed); opens the next connection.
    void on_set_up() {
        ++set_up_;
        connect_next();
        if (set_up_ == sessions_.size()) {
            connect_seconds_ = ms_between(connect_started_, Clock::now()) / 1000.0;
            begin_mode();
        }
    }

    void start_ticker() {
        ticker_start_ = Clock::now();
        tick();
    }

    void tick() {
        if (stopping_)
            return;
        const auto now = Clock::now();
        for (auto& session : sessions_) {
            const auto lateness = session->pump(now);
            max_lateness_ = std::max(max_lateness_, lateness);
        }
        // The next tick on the 5 ms grid, so timer slop does not add up.
        constexpr auto kTick = 5ms;
        const auto ticks = (now - ticker_start_) / kTick + 1;
        const auto next = ticker_start_ + kTick * ticks;
        const auto delay = duration_cast<milliseconds>(next - Clock::now());
        loop_.schedule(std::max(delay, 0ms), [this] { tick(); });
    }

    void finish() {
        if (finish_signalled_)
            return;
        finish_signalled_ = true;
        measure_end_ = Clock::now();
        finished_.set_value();
    }

    void teardown() {
        std::promise<void> closed;
        loop_.post([this, &closed] {
            stopping_ = true;
            for (auto& session : sessions_) session->close();
            closed.set_value();
        });
        closed.get_future().wait();
        std::this_thread::sleep_for(300ms);  // let the close handshakes go out
        std::promise<void> destroyed;
        loop_.post([this, &destroyed] {
            sessions_.clear();
            destroyed.set_value();
        });
        destroyed.get_future().wait();
        loop_.stop();
    }

    // --- per-session state of every mode ----------------------------------------------------
    struct State {
        bool set_up = false;
        std::size_t asked = 0;
        // The question being answered (latency, concurrency) or the barge-in prompt.
        const Prompt* prompt = nullptr;
        Clock::time_point speech_onset{}, speech_end{};
        bool awaiting_audio = false;  // speech ended, no reply audio yet
        bool awaiting_end = false;    // a turn of ours is not finished yet
        std::string heard;
        transport::TimerHandle timeout;
        // bargein
        enum class Barge { kIdle, kStory, kBarging, kAnswer } barge = Barge::kIdle;
        bool story_done = false;
        bool answer_generated = false;
        bool onset_seen = false;
    };

    void on_event(LoadSession& s, ServerEvent event, Clock::time_point at,
                  const std::string& text) {
        auto& state = states_[s.index()];
        if (event == ServerEvent::kClosed) {
            if (!stopping_) {
                ++unexpected_closes_;
                if (first_error_.empty())
                    first_error_ = text;
                if (!state.set_up) {
                    state.set_up = true;
                    on_set_up();
                }
                if (options_.mode == "latency" || options_.mode == "bargein")
                    session_done(s);
            }
            return;
        }
        if (event == ServerEvent::kSetupComplete) {
            state.set_up = true;
            on_set_up();
            return;
        }
        if (event == ServerEvent::kInputTranscription) {
            transcripts_seen_ = true;
            state.heard += text;
            return;
        }
        if (options_.mode == "latency") {
            latency_event(s, state, event, at);
        } else if (options_.mode == "bargein") {
            bargein_event(s, state, event, at);
        } else if (options_.mode == "concurrency") {
            concurrency_event(s, state, event, at);
        }
    }

    void on_speech(LoadSession& s, SpeechMark mark, Clock::time_point at) {
        auto& state = states_[s.index()];
        if (mark == SpeechMark::kOnset) {
            state.speech_onset = at;
            state.onset_seen = true;
            return;
        }
        state.speech_end = at;
        if (options_.mode == "bargein")
            return;
        state.awaiting_audio = true;
        state.awaiting_end = true;
    }

    void begin_mode() {
        if (options_.mode == "idle") {
            // Nothing is sent after setup; the main thread reads the server's memory.
            settle_timer_ = loop_.schedule(
                duration_cast<milliseconds>(std::chrono::duration<double>(options_.duration_s)),
                [this] { finish(); });
            return;
        }
        // Each session's microphone starts at its own phase within a chunk, as real clients do.
        const auto start = Clock::now();
        for (auto& session : sessions_) {
            session->start_mic(start + chunk_ * session->index() / sessions_.size());
        }
        start_ticker();
        measure_start_ = start;
        if (options_.server_pid > 0)
            cpu_start_ = read_cpu(options_.server_pid);
        client_cpu_start_ = own_cpu_seconds();
        if (options_.mode == "latency") {
            for (auto& session : sessions_) schedule_question(*session, gap());
        } else if (options_.mode == "bargein") {
            for (auto& session : sessions_) schedule_story(*session, gap());
        } else {
            begin_concurrency(start);
        }
    }

    milliseconds gap() const {
        return duration_cast<milliseconds>(std::chrono::duration<double>(options_.gap_s));
    }

    void session_done(LoadSession& s) {
        auto& state = states_[s.index()];
        state.timeout.cancel();
        if (is_done(state))
            return;
        state.asked = SIZE_MAX;  // marks the session finished
        if (++sessions_done_ == sessions_.size()) {
            cpu_end_ = options_.server_pid > 0 ? read_cpu(options_.server_pid) : std::nullopt;
            client_cpu_end_ = own_cpu_seconds();
            finish();
        }
    }

    bool is_done(const State& state) const { return state.asked == SIZE_MAX; }

    // --- latency ---------------------------------------------------------------------------
    void schedule_question(LoadSession& s, milliseconds after) {
        loop_.schedule(after, [this, &s] { ask(s); });
    }

    void ask(LoadSession& s) {
        auto& state = states_[s.index()];
        if (is_done(state) || stopping_)
            return;
        if (state.asked >= options_.questions) {
            session_done(s);
            return;
        }
        const auto& prompt = prompts_[(s.index() * 7 + state.asked) % prompts_.size()];
        ++state.asked;
        state.prompt = &prompt;
        state.heard.clear();
        state.awaiting_audio = false;
        state.awaiting_end = false;
        s.say(prompt);
        state.timeout = loop_.schedule(prompt.speech + 20s, [this, &s] {
            ++missed_;
            if (options_.verbose)
                std::printf("session %zu: no reply in time\n", s.index());
            schedule_question(s, gap());
        });
    }

    void latency_event(LoadSession& s, State& state, ServerEvent event, Clock::time_point at) {
        if (event == ServerEvent::kAudio && state.awaiting_audio) {
            state.awaiting_audio = false;
            const double ms = ms_between(state.speech_end, at) - options_.silence_ms;
            latencies_.push_back(ms);
            if (options_.verbose) {
                std::printf(
                    "session %zu: '%s' -> first audio %.0f ms after turn end (heard '%s')\n",
                    s.index(), state.prompt->text.c_str(), ms, state.heard.c_str());
            }
        } else if (event == ServerEvent::kTurnComplete && state.awaiting_end &&
                   !state.awaiting_audio) {
            state.awaiting_end = false;
            state.timeout.cancel();
            check_heard(state);
            schedule_question(s, gap());
        }
    }

    void check_heard(State& state) {
        ++checked_;
        if (normalize_words(state.heard) == state.prompt->text)
            ++heard_right_;
        else if (options_.verbose) {
            std::printf("  misheard: said '%s', heard '%s'\n", state.prompt->text.c_str(),
                        state.heard.c_str());
        }
        state.heard.clear();
    }

    // --- bargein ---------------------------------------------------------------------------
    void schedule_story(LoadSession& s, milliseconds after) {
        loop_.schedule(after, [this, &s] { start_story(s); });
    }

    void start_story(LoadSession& s) {
        auto& state = states_[s.index()];
        if (is_done(state) || stopping_)
            return;
        if (state.asked >= options_.questions) {
            session_done(s);
            return;
        }
        ++state.asked;
        state.barge = State::Barge::kStory;
        state.story_done = false;
        state.answer_generated = false;
        state.onset_seen = false;
        state.heard.clear();
        s.send_text(typed_turn("tell me a story"));
        state.timeout = loop_.schedule(60s, [this, &s] {
            ++missed_;
            if (options_.verbose)
                std::printf("session %zu: barge-in round timed out\n", s.index());
            states_[s.index()].barge = State::Barge::kIdle;
            schedule_story(s, gap());
        });
    }

    void bargein_event(LoadSession& s, State& state, ServerEvent event, Clock::time_point at) {
        using Barge = State::Barge;
        switch (state.barge) {
            case Barge::kIdle:
                return;
            case Barge::kStory:
                if (event == ServerEvent::kGenerationComplete) {
                    state.barge = Barge::kBarging;
                    loop_.schedule(gap(), [this, &s] {
                        auto& st = states_[s.index()];
                        if (st.barge != Barge::kBarging || stopping_)
                            return;
                        if (st.story_done) {
                            ++invalid_;  // the story had finished playing: nothing to barge into
                            st.barge = Barge::kIdle;
                            st.timeout.cancel();
                            schedule_story(s, gap());
                            return;
                        }
                        const auto& prompt = prompts_[(s.index() * 7 + st.asked) % prompts_.size()];
                        st.prompt = &prompt;
                        st.onset_seen = false;
                        st.heard.clear();
                        s.say(prompt);
                    });
                }
                return;
            case Barge::kBarging:
                if (event == ServerEvent::kTurnComplete && !state.onset_seen) {
                    state.story_done = true;
                } else if (event == ServerEvent::kInterrupted && state.onset_seen) {
                    const double ms = ms_between(state.speech_onset, at);
                    latencies_.push_back(ms);
                    if (options_.verbose) {
                        std::printf("session %zu: interrupted %.0f ms after speech onset\n",
                                    s.index(), ms);
                    }
                    state.barge = Barge::kAnswer;
                }
                return;
            case Barge::kAnswer:
                // interrupted is followed by the story's turnComplete; then the question over
                // it is answered: audio, generationComplete, turnComplete.
                if (event == ServerEvent::kGenerationComplete)
                    state.answer_generated = true;
                if (event == ServerEvent::kTurnComplete && state.answer_generated) {
                    state.timeout.cancel();
                    check_heard(state);
                    state.barge = Barge::kIdle;
                    schedule_story(s, gap());
                }
                return;
        }
    }

    // --- concurrency -----------------------------------------------------------------------
    void begin_concurrency(Clock::time_point start) {
        const auto period =
            duration_cast<milliseconds>(std::chrono::duration<double>(options_.period_s));
        const auto duration =
            duration_cast<milliseconds>(std::chrono::duration<double>(options_.duration_s));
        questions_end_ = start + 1s + duration;
        for (auto& session : sessions_) {
            // Staggered: session i starts i/N of a period after the first.
            const auto offset = 1000ms + period * session->index() / sessions_.size();
            schedule_periodic(*session, start + offset, period);
        }
        // Ends when every question had its answer, or 5 s after the last one was asked.
        loop_.schedule(duration + 1s + period, [this] { end_concurrency(); });
    }

    void schedule_periodic(LoadSession& s, Clock::time_point at, milliseconds period) {
        if (at >= questions_end_)
            return;
        const auto delay = std::max(0ms, duration_cast<milliseconds>(at - Clock::now()));
        loop_.schedule(delay, [this, &s, at, period] {
            if (stopping_ || !s.open())
                return;
            auto& state = states_[s.index()];
            close_turn(state);
            const auto& prompt = prompts_[(s.index() * 7 + state.asked) % prompts_.size()];
            ++state.asked;
            ++asked_;
            state.prompt = &prompt;
            state.heard.clear();
            s.say(prompt);
            schedule_periodic(s, at + period, period);
        });
    }

    // The previous question of this session is over: missed if it got no audio.
    void close_turn(State& state) {
        if (state.prompt == nullptr)
            return;
        if (state.awaiting_audio)
            ++missed_;
        // Without speech (--no-speech) the server sends no transcripts: nothing to check.
        if (transcripts_seen_)
            check_heard(state);
        state.awaiting_audio = false;
        state.awaiting_end = false;
        state.prompt = nullptr;
    }

    void concurrency_event(LoadSession& s, State& state, ServerEvent event, Clock::time_point at) {
        if (event == ServerEvent::kAudio && state.awaiting_audio) {
            state.awaiting_audio = false;
            const double ms = ms_between(state.speech_end, at) - options_.silence_ms;
            latencies_.push_back(ms);
            if (options_.verbose) {
                // Wall-clock time of the turn end, to line up with the server's log.
                const auto turn_end = std::chrono::system_clock::now() -
                                      duration_cast<std::chrono::system_clock::duration>(
                                          Clock::now() - state.speech_end - silence_duration_);
                const auto since_midnight =
                    duration_cast<milliseconds>(turn_end.time_since_epoch()).count() % 86'400'000;
                std::printf(
                    "session %zu (server's %zu): turn end %02lld:%02lld:%02lld.%03lld UTC, "
                    "first audio %.0f ms later\n",
                    s.index(), s.index() + 1, static_cast<long long>(since_midnight / 3'600'000),
                    static_cast<long long>(since_midnight / 60'000 % 60),
                    static_cast<long long>(since_midnight / 1000 % 60),
                    static_cast<long long>(since_midnight % 1000), ms);
            }
        }
    }

    void end_concurrency() {
        cpu_end_ = options_.server_pid > 0 ? read_cpu(options_.server_pid) : std::nullopt;
        client_cpu_end_ = own_cpu_seconds();
        for (auto& state : states_) close_turn(state);
        finish();
    }

    Options options_;
    std::vector<Prompt> prompts_;
    std::vector<std::string> silence_;
    milliseconds chunk_;
    milliseconds silence_duration_;
    std::string setup_;
    transport::EventLoop loop_;
    std::vector<std::unique_ptr<LoadSession>> sessions_;
    std::vector<State> states_;
    std::promise<void> finished_;
    bool finish_signalled_ = false;
    bool stopping_ = false;
    bool transcripts_seen_ = false;
    transport::TimerHandle settle_timer_;

    std::size_t next_connect_ = 0, set_up_ = 0, connect_failures_ = 0, unexpected_closes_ = 0;
    std::size_t sessions_done_ = 0, missed_ = 0, invalid_ = 0, asked_ = 0;
    std::size_t checked_ = 0, heard_right_ = 0;
    std::string first_error_;
    Clock::time_point connect_started_{}, ticker_start_{}, measure_start_{}, measure_end_{};
    Clock::time_point questions_end_{}, wall_before_{}, wall_after_{};
    double connect_seconds_ = 0;
    std::chrono::microseconds max_lateness_{0};
    std::vector<double> latencies_;

    std::optional<long> rss_before_, rss_after_;
    std::optional<CpuSnapshot> cpu_before_, cpu_start_, cpu_end_, cpu_after_;
    double client_cpu_before_ = 0, client_cpu_start_ = 0, client_cpu_end_ = 0,
           client_cpu_after_ = 0;
};

void Run::report(bool completed) const {
    const auto& o = options_;
    std::printf("\n== server_load --mode %s --sessions %zu ==\n", o.mode.c_str(), o.sessions);
    std::printf("load average (1, 5, 15 min) at the end: %s\n", load_average().c_str());
    if (!completed)
        std::printf("WARNING: the run did not finish within its time limit\n");
    std::printf(
        "sessions set up: %zu of %zu in %.1f s (connect failures %zu, unexpected closes %zu%s%s)\n",
        set_up_ - connect_failures_, o.sessions, connect_seconds_, connect_failures_,
        unexpected_closes_, first_error_.empty() ? "" : ": ", first_error_.c_str());

    if (o.mode == "idle") {
        if (rss_before_ && rss_after_) {
            const double per =
                static_cast<double>(*rss_after_ - *rss_before_) /
                static_cast<double>(std::max<std::size_t>(1, set_up_ - connect_failures_));
            std::printf(
                "server RSS: %ld KiB before, %ld KiB with %zu idle sessions: %.1f KiB per "
                "session\n",
                *rss_before_, *rss_after_, set_up_ - connect_failures_, per);
            std::printf(
                "RESULT mode=idle sessions=%zu rss0_kib=%ld rssN_kib=%ld per_session_kib=%.1f\n",
                set_up_ - connect_failures_, *rss_before_, *rss_after_, per);
        } else {
            std::printf("server RSS unknown: pass --server-pid\n");
        }
        return;
    }

    const double measured_s = ms_between(measure_start_, measure_end_) / 1000.0;
    std::string server_cpu = "unknown (pass --server-pid)";
    double server_pct = std::nan("");
    if (cpu_start_ && cpu_end_ && measured_s > 0) {
        server_cpu = describe_cpu(*cpu_start_, *cpu_end_, measured_s);
        server_pct = 100.0 * (cpu_end_->process_seconds - cpu_start_->process_seconds) / measured_s;
    }
    const double client_pct =
        measured_s > 0 ? 100.0 * (client_cpu_end_ - client_cpu_start_) / measured_s : std::nan("");

    const char* what = o.mode == "bargein"
                           ? "speech onset -> interrupted"
                           : "first reply audio - turn end (end of speech + silence)";
    const double p50 = percentile(latencies_, 50), p95 = percentile(latencies_, 95);
    const double max =
        latencies_.empty() ? std::nan("") : *std::max_element(latencies_.begin(), latencies_.end());
    const double min =
        latencies_.empty() ? std::nan("") : *std::min_element(latencies_.begin(), latencies_.end());
    std::printf("%s, ms over %zu: min %.0f  p50 %.0f  p95 %.0f  max %.0f\n", what,
                latencies_.size(), min, p50, p95, max);
    if (o.mode == "concurrency") {
        std::printf(
            "questions asked %zu, answered %zu, missed %zu (no audio before the next question)\n",
            asked_, latencies_.size(), missed_);
    } else {
        std::printf("rounds %zu, timed out %zu, invalid %zu\n",
                    latencies_.size() + missed_ + invalid_, missed_, invalid_);
    }
    if (checked_ > 0)
        std::printf("heard word for word: %zu of %zu\n", heard_right_, checked_);
    std::printf("server CPU over %.1f s: %s\n", measured_s, server_cpu.c_str());
    std::printf("client CPU: %.0f%%; client send lag max %.1f ms\n", client_pct,
                static_cast<double>(max_lateness_.count()) / 1000.0);
    const bool all_within = o.mode == "concurrency" && missed_ == 0 && unexpected_closes_ == 0 &&
                            connect_failures_ == 0 && !latencies_.empty() && max <= 1000.0;
    if (o.mode == "concurrency") {
        std::printf("every first audio within 1 s of its turn end: %s\n",
                    all_within ? "yes" : "NO");
    }
    std::printf(
        "RESULT mode=%s sessions=%zu n=%zu p50_ms=%.0f p95_ms=%.0f max_ms=%.0f missed=%zu "
        "all_within_1s=%d server_cpu_pct=%.0f client_cpu_pct=%.0f send_lag_ms=%.1f heard=%zu/%zu\n",
        o.mode.c_str(), o.sessions, latencies_.size(), p50, p95, max, missed_, all_within ? 1 : 0,
        server_pct, client_pct, static_cast<double>(max_lateness_.count()) / 1000.0, heard_right_,
        checked_);
}

// The server's turn detector alone (dsp::Vad + dsp::SpeechDetector, as UserInput uses them) on
// the same prompts with 1 s of silence before and 2 s after: how much of the measured latency
// is the detector's own decision time, and how much is queueing and transport.
int run_detector(const std::vector<Prompt>& prompts, int silence_ms, double noise_rms) {
    std::vector<double> start_ms, end_ms;
    std::size_t missed = 0, frames = 0;
    double vad_seconds = 0, detector_seconds = 0;
    for (const auto& prompt : prompts) {
        auto vad = dsp::Vad::create();
        dsp::SpeechDetectorConfig config;
        config.silence_duration_ms = silence_ms;
        auto detector = dsp::SpeechDetector::create(config);
        if (!vad || !detector) {
            std::fprintf(stderr, "server_load: cannot create the detector\n");
            return 1;
        }
        constexpr std::size_t kBefore = 16000, kAfter = 16000 + 16 * 10000;
        auto audio = test::pad(prompt.audio, kBefore, kAfter);
        if (noise_rms > 0)
            audio = test::add(audio, test::white_noise(audio.size(), noise_rms, 7));
        const auto last_chunk_end = kBefore + prompt.audio.size();
        const auto first_chunk_end = kBefore + prompt.audio.size() / prompt.chunks.size();
        std::optional<double> start, end;
        constexpr std::size_t kFrame = 160;
        for (std::size_t at = 0; at + kFrame <= audio.size() && !end; at += kFrame) {
            const std::span<const std::int16_t> frame(audio.data() + at, kFrame);
            const auto t0 = Clock::now();
            const bool speech = vad->process(frame);
            const auto t1 = Clock::now();
            const auto event = detector->process(frame, speech);
            vad_seconds += std::chrono::duration<double>(t1 - t0).count();
            detector_seconds += std::chrono::duration<double>(Clock::now() - t1).count();
            ++frames;
            if (event.type == dsp::SpeechEventType::kStart && !start) {
                // From the moment the first chunk holding speech was sent (its end).
                start = (static_cast<double>(event.decided_at_sample) -
                         static_cast<double>(first_chunk_end)) /
                        16.0;
            } else if (event.type == dsp::SpeechEventType::kEnd && start) {
                end = (static_cast<double>(event.decided_at_sample) -
                       static_cast<double>(last_chunk_end)) /
                          16.0 -
                      silence_ms;
            }
        }
        if (start)
            start_ms.push_back(*start);
        if (end)
            end_ms.push_back(*end);
        if (!start || !end)
            ++missed;
    }
    std::printf("detector alone (offline, %zu prompts, %zu without START+END):\n", prompts.size(),
                missed);
    std::printf(
        "  START decided after the first speech chunk was sent, ms: p50 %.0f  p95 %.0f  max %.0f\n",
        percentile(start_ms, 50), percentile(start_ms, 95), percentile(start_ms, 100));
    std::printf(
        "  END decided after the last speech chunk + silence, ms: p50 %.0f  p95 %.0f  max %.0f\n",
        percentile(end_ms, 50), percentile(end_ms, 95), percentile(end_ms, 100));
    const double vad_us = 1e6 * vad_seconds / static_cast<double>(std::max<std::size_t>(frames, 1));
    const double detector_us =
        1e6 * detector_seconds / static_cast<double>(std::max<std::size_t>(frames, 1));
    std::printf(
        "  cost per 10 ms frame: Vad %.1f us + SpeechDetector %.1f us = %.2f%% of a core "
        "per session\n",
        vad_us, detector_us, (vad_us + detector_us) / 100.0);
    std::printf(
        "RESULT mode=detector vad_us=%.1f detector_us=%.1f start_p50_ms=%.0f start_p95_ms=%.0f "
        "end_p50_ms=%.0f end_p95_ms=%.0f\n",
        vad_us, detector_us, percentile(start_ms, 50), percentile(start_ms, 95),
        percentile(end_ms, 50), percentile(end_ms, 95));
    return 0;
}

int run_main(const Options& options) {
    if (options.mode != "latency" && options.mode != "bargein" && options.mode != "concurrency" &&
        options.mode != "idle" && options.mode != "detector") {
        std::fprintf(
            stderr,
            "server_load: --mode must be latency, bargein, concurrency, idle or detector\n");
        return 2;
    }
    // Questions made once: 20 different ones are enough for every mode (sessions reuse them).
    std::vector<Prompt> prompts;
    if (options.mode != "idle") {
        const auto count =
            std::max<std::size_t>(20, options.mode == "concurrency" ? 20 : options.questions);
        const auto preamble =
            options.mode == "bargein" && options.preamble.empty() ? "wait " : options.preamble;
        for (const auto& text : arithmetic_questions(count, preamble)) {
            prompts.push_back(make_prompt(text, options.chunk_ms));
        }
        double total_ms = 0;
        for (const auto& p : prompts) total_ms += static_cast<double>(p.speech.count());
        std::printf("%zu spoken questions, mean %.2f s of speech (e.g. '%s')\n", prompts.size(),
                    total_ms / static_cast<double>(prompts.size()) / 1000.0,
                    prompts.front().text.c_str());
    }
    if (options.mode == "detector")
        return run_detector(prompts, options.silence_ms, options.noise_rms);
    Run run(options, std::move(prompts));
    double expected_s = options.duration_s;
    if (options.mode == "latency")
        expected_s = static_cast<double>(options.questions) * 25.0;
    if (options.mode == "bargein")
        expected_s = static_cast<double>(options.questions) * 70.0;
    if (options.mode == "concurrency")
        expected_s = options.duration_s + options.period_s + 5;
    const auto limit = std::chrono::seconds(static_cast<long>(expected_s) + 60 +
                                            static_cast<long>(options.sessions / 10));
    const bool completed = run.execute(limit);
    run.report(completed);
    return completed ? 0 : 1;
}

}  // namespace
}  // namespace parley::bench

int main(int argc, char** argv) {
    parley::bench::Options options;
    CLI::App app{"Load generator and latency meter for `parley serve` (loopback only)"};
    app.add_option("--url", options.url,
                   "Server base URL, ws://127.0.0.1:PORT (not for --mode detector)");
    app.add_option("--mode", options.mode, "latency, bargein, concurrency, idle or detector")
        ->capture_default_str();
    app.add_option("--sessions", options.sessions, "Concurrent sessions")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    app.add_option("--duration", options.duration_s,
                   "concurrency: seconds during which questions are asked; idle: seconds to settle")
        ->capture_default_str();
    app.add_option("--questions", options.questions, "latency/bargein: rounds per session")
        ->capture_default_str();
    app.add_option("--silence-ms", options.silence_ms,
                   "silenceDurationMs sent in the setup (subtracted)")
        ->capture_default_str()
        ->check(CLI::Range(100, 10000));
    app.add_option("--chunk-ms", options.chunk_ms, "Audio message length, sent paced in real time")
        ->capture_default_str()
        ->check(CLI::Range(10, 200));
    app.add_option("--noise-rms", options.noise_rms,
                   "Background noise between prompts, RMS in sample units (0: digital silence)")
        ->capture_default_str();
    app.add_option("--period", options.period_s,
                   "concurrency: seconds between a session's questions")
        ->capture_default_str();
    app.add_option("--gap", options.gap_s, "latency/bargein: seconds of silence between rounds")
        ->capture_default_str();
    app.add_option("--preamble", options.preamble,
                   "Words said before each question (\"could you tell me \")");
    app.add_option("--connect-parallel", options.connect_parallel, "Connections opened at once")
        ->capture_default_str();
    app.add_option("--server-pid", options.server_pid, "The server's pid, for its CPU and memory");
    app.add_flag("--verbose", options.verbose, "Print every round");
    CLI11_PARSE(app, argc, argv);
    if (options.mode != "detector" && !options.url.starts_with("ws://127.") &&
        !options.url.starts_with("ws://localhost") && !options.url.starts_with("ws://[::1]")) {
        std::fprintf(stderr, "server_load: loopback URLs only (ws://127.0.0.1:PORT)\n");
        return 2;
    }
    while (!options.url.empty() && options.url.back() == '/') options.url.pop_back();
    parley::log::set_level(parley::log::Level::kWarn);
    return parley::bench::run_main(options);
}

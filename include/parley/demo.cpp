// SPDX-License-Identifier: Apache-2.0
// `parley demo` (see demo.hpp).
#include "parley/demo.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "parley/conversation.hpp"
#include "parley/local_server.hpp"

namespace parley {
namespace {

using namespace std::chrono_literals;
using Type = ConversationEventType;
using session::TurnId;

// Keeps every event for the script to wait on, and what is worth printing of them until the
// script prints a step's worth in time order (io). A user's line is final only after the model
// has started answering, so printed as they come the lines would not be in the order they were
// said.
class DemoSink final : public ConversationSink {
public:
    explicit DemoSink(std::FILE* out) : out_(out) {}

    void on_event(const ConversationEvent& event) override {
        std::lock_guard lock(mutex_);
        keep_printable(event);
        events_.push_back(event);
        changed_.notify_all();
    }

    // Prints what happened since the last call, earliest first.
    void print_pending() {
        std::lock_guard lock(mutex_);
        std::stable_sort(pending_.begin(), pending_.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (const auto& [at_ms, text] : pending_)
            std::fprintf(out_, "  %6.2f s  %s\n", at_ms / 1000.0, text.c_str());
        std::fflush(out_);
        pending_.clear();
    }

    // The first event from index `from` on that satisfies `pred`, waiting up to `timeout`.
    std::optional<ConversationEvent> wait(const std::function<bool(const ConversationEvent&)>& pred,
                                          std::size_t from, std::chrono::seconds timeout,
                                          std::size_t* index = nullptr) {
        std::unique_lock lock(mutex_);
        std::optional<ConversationEvent> found;
        changed_.wait_for(lock, timeout, [&] {
            for (std::size_t i = from; i < events_.size(); ++i) {
                if (pred(events_[i])) {
                    found = events_[i];
                    if (index)
                        *index = i;
                    return true;
                }
            }
            return false;
        });
        return found;
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return events_.size();
    }
    std::vector<ConversationEvent> events() const {
        std::lock_guard lock(mutex_);
        return events_;
    }

private:
    void keep_printable(const ConversationEvent& e) {
        switch (e.type) {
            case Type::kBargeIn:
                pending_.emplace_back(e.at_ms,
                                      "barge-in: the user speaks over the model, playback paused");
                break;
            case Type::kBargeInResumed:
                pending_.emplace_back(e.at_ms, "not confirmed: playback resumed");
                break;
            case Type::kInterrupted:
                pending_.emplace_back(e.at_ms, "the server confirmed the interruption");
                break;
            case Type::kToolCall:
                pending_.emplace_back(e.at_ms, "tool call: " + e.text);
                break;
            case Type::kTranscript:
                if (e.line) {
                    pending_.emplace_back(e.line->start_ms,
                                          fmt::format("{:<5}: {}", e.line->who, e.line->text));
                }
                break;
            case Type::kClosed:
                if (!e.text.empty())
                    pending_.emplace_back(e.at_ms, "session closed: " + e.text);
                break;
            default:
                break;
        }
    }

    std::FILE* out_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<ConversationEvent> events_;
    std::vector<std::pair<double, std::string>> pending_;  // (ms, text), not yet printed
};

bool is(const ConversationEvent& e, Type type) {
    return e.type == type;
}

// The script: each step returns an empty string when it went as planned.
class DemoScript {
public:
    DemoScript(ScriptedDevice& device, DemoSink& sink, int rate_hz)
        : device_(device), sink_(sink), rate_hz_(rate_hz) {}

    std::string say(const std::string& text) {
        sink_.print_pending();
        std::fprintf(stdout_, "  user says: \"%s\"\n", text.c_str());
        // The user speaks with a voice of their own (the model's default is slt), and one the
        // local server's recognizer hears well: pocketsphinx hears slt's "What is" as "one is".
        auto pcm = speak(text, "rms", rate_hz_);
        if (!pcm)
            return "cannot synthesize the user's speech: " + pcm.error().message();
        pcm->resize(pcm->size() + static_cast<std::size_t>(rate_hz_) * 3 / 2, 0);
        device_.say(*pcm);
        return {};
    }

    // Waits for the end of the first model turn after `after_turn` that starts past event `from`.
    std::string wait_answer(std::size_t from, TurnId after_turn, std::chrono::seconds timeout) {
        const auto ended = sink_.wait(
            [after_turn](const ConversationEvent& e) {
                return is(e, Type::kModelTurnEnded) && e.turn > after_turn;
            },
            from, timeout);
        if (!ended)
            return "no answer within " + std::to_string(timeout.count()) + " s";
        last_turn_ = ended->turn;
        // The model's line is final once its audio has played, after the turn's end; the step
        // ends with it, so its lines are printed with the step.
        (void)sink_.wait(
            [turn = ended->turn](const ConversationEvent& e) {
                return is(e, Type::kTranscript) && e.line && e.line->who == "model" &&
                       e.line->turn == turn;
            },
            from, 20s);
        sink_.print_pending();
        return {};
    }

    std::string question(const std::string& text) {
        const auto from = sink_.size();
        if (auto e = say(text); !e.empty())
            return e;
        return wait_answer(from, last_turn_, 40s);
    }

    std::string interrupted_story() {
        const auto from = sink_.size();
        if (auto e = say("Tell me a story."); !e.empty())
            return e;
        std::size_t at = 0;
        const auto audible = sink_.wait(
            [after = last_turn_](const ConversationEvent& e) {
                return is(e, Type::kModelAudible) && e.turn > after;
            },
            from, 40s, &at);
        if (!audible)
            return "the story never started";
        std::this_thread::sleep_for(5s);  // let it tell a little of it
        if (auto e = say("Stop. What is seven times six?"); !e.empty())
            return e;
        const auto interrupted = sink_.wait(
            [story = audible->turn](const ConversationEvent& e) {
                return is(e, Type::kInterrupted) && e.turn == story;
            },
            at, 20s);
        if (!interrupted)
            return "the story was not interrupted";
        return wait_answer(at, audible->turn, 40s);
    }

    std::string tool_call() {
        const auto from = sink_.size();
        if (auto e = say("What is the weather like in Paris?"); !e.empty())
            return e;
        if (!sink_.wait([](const ConversationEvent& e) { return is(e, Type::kToolCall); }, from,
                        40s)) {
            return "the model did not call the weather function";
        }
        return wait_answer(from, last_turn_, 40s);
    }

    void set_out(std::FILE* out) { stdout_ = out; }

private:
    ScriptedDevice& device_;
    DemoSink& sink_;
    int rate_hz_;
    TurnId last_turn_ = 0;
    std::FILE* stdout_ = stdout;
};

std::string fmt_ms(const std::optional<double>& ms) {
    return ms ? std::to_string(std::lround(*ms)) + " ms" : std::string("-");
}

void print_summary(std::FILE* out, const std::vector<TranscriptLine>& lines,
                   const std::vector<TurnMetrics>& metrics) {
    std::fprintf(out, "\nturns:\n");
    for (const auto& m : metrics) {
        std::string user, model;
        for (const auto& line : lines) {
            if (line.turn != m.turn)
                continue;
            (line.who == "user" ? user : model) = line.text;
        }
        std::fprintf(out, "  turn %llu  user: \"%s\"\n          model: \"%s\"%s\n",
                     static_cast<unsigned long long>(m.turn), user.c_str(), model.c_str(),
                     m.interrupted ? " (interrupted)" : "");
        std::fprintf(out,
                     "          response latency %s, played %.1f of %.1f s, barge-in onset -> "
                     "silence %s\n",
                     fmt_ms(m.response_latency_ms).c_str(), m.played_ms / 1000.0,
                     m.generated_ms / 1000.0, fmt_ms(m.barge_in_silence_ms).c_str());
    }
}

}  // namespace

int run_demo(const DemoOptions& options, std::FILE* out) {
    std::error_code ec;
    std::filesystem::create_directories(options.out_dir, ec);
    if (ec) {
        std::fprintf(out, "parley demo: cannot create %s: %s\n", options.out_dir.c_str(),
                     ec.message().c_str());
        return 1;
    }
    const auto path = [&](const char* name) {
        return (std::filesystem::path(options.out_dir) / name).string();
    };
    std::fprintf(out,
                 "parley demo: a scripted voice conversation with the in-process local server "
                 "(no sound card; a simulated room echoes the model into the microphone)\n");
    LocalServerOptions server_options;
    server_options.port = 0;
    server_options.work_nice = 5;
    auto server = LocalServer::start(server_options);
    if (!server) {
        std::fprintf(out, "parley demo: cannot start the local server: %s\n",
                     server.error().message().c_str());
        return 1;
    }

    device::SimulatedDeviceOptions device_options;
    device_options.pacing = device::Pacing::kRealtime;
    device_options.echo_path = make_room_echo(options.device_rate_hz);
    ScriptedDevice device(options.device_rate_hz, std::move(device_options));
    DemoSink sink(out);
    Conversation conversation(device, sink);

    protocol::FunctionDeclaration weather;
    weather.name = "weather";
    weather.description = "The current weather in a city.";
    weather.parameters =
        protocol::Json::parse(R"({"type":"OBJECT","properties":{"city":{"type":"STRING"}}})");
    conversation.add_tool(weather, [](const nlohmann::json& args) {
        const std::string city = args.value("city", std::string("there"));
        return nlohmann::json{{"forecast", "sunny and nineteen degrees in " + city}};
    });

    ConversationConfig config;
    config.session.connection.url = (*server)->url();
    config.record_path = path("conversation.wav");
    std::string why;
    if (!conversation.start(config, &why)) {
        std::fprintf(out, "parley demo: %s\n", why.c_str());
        return 1;
    }
    if (!sink.wait([](const ConversationEvent& e) { return is(e, Type::kReady); }, 0, 10s)) {
        std::fprintf(out, "parley demo: the local server did not accept the session\n");
        return 1;
    }
    std::fprintf(out, "connected to %s\n", (*server)->url().c_str());

    DemoScript script(device, sink, options.device_rate_hz);
    script.set_out(out);
    std::string failed;
    std::fprintf(out, "\n1. a question\n");
    failed = script.question("What is two plus two?");
    if (failed.empty()) {
        std::fprintf(out, "\n2. a story, interrupted by the user\n");
        failed = script.interrupted_story();
    }
    if (failed.empty()) {
        std::fprintf(out, "\n3. a tool call\n");
        failed = script.tool_call();
    }
    std::this_thread::sleep_for(500ms);
    conversation.stop();
    sink.print_pending();

    const auto lines = conversation.transcript();
    const auto metrics = conversation.metrics();
    std::vector<TimelineMark> marks;
    for (const auto& e : sink.events()) {
        if (e.type == Type::kBargeIn)
            marks.push_back({e.at_ms, "barge-in"});
        else if (e.type == Type::kBargeInResumed)
            marks.push_back({e.at_ms, "resumed"});
        else if (e.type == Type::kInterrupted)
            marks.push_back({e.at_ms, "interrupted"});
        else if (e.type == Type::kToolCall)
            marks.push_back({e.at_ms, "tool call"});
    }
    if (auto written = write_transcript_jsonl(path("transcript.jsonl"), lines); !written) {
        std::fprintf(out, "parley demo: cannot write the transcript: %s\n",
                     written.error().message().c_str());
        return 1;
    }
    if (auto written = write_timeline_svg(path("timeline.svg"), lines, marks, metrics); !written) {
        std::fprintf(out, "parley demo: cannot write the timeline: %s\n",
                     written.error().message().c_str());
        return 1;
    }
    print_summary(out, lines, metrics);
    std::fprintf(out, "\nwrote %s (stereo: microphone left, model right), %s, %s\n",
                 path("conversation.wav").c_str(), path("transcript.jsonl").c_str(),
                 path("timeline.svg").c_str());
    if (!failed.empty()) {
        std::fprintf(out, "parley demo: %s\n", failed.c_str());
        return 1;
    }
    return 0;
}

}  // namespace parley

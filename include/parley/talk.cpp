// SPDX-License-Identifier: Apache-2.0
// run_talk (see talk.hpp). The control thread owns everything; the Conversation's events are
// queued by the sink (io) and printed here, so the sink never blocks on the terminal.
#include "parley/talk.hpp"

#include <charconv>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "device/error.hpp"
#include "device/sound_card.hpp"
#include "dsp/error.hpp"
#include "dsp/frame.hpp"
#include "parley/conversation.hpp"
#include "parley/local_server.hpp"
#include "parley/talk_status.hpp"
#include "session/adc_token_provider.hpp"
#include "session/credentials_error.hpp"
#include "session/endpoint.hpp"
#include "session/error.hpp"

namespace parley {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How often the control loop looks at the session when no event wakes it: often enough for the
// live status line on a terminal, less often otherwise (each wakeup costs CPU).
constexpr auto kLivePollInterval = 100ms;
constexpr auto kPlainPollInterval = 250ms;
// After the last model audio left the Player, the render ring (a few tens of ms) still has to
// reach the output file or the speaker.
constexpr auto kPlayoutTail = 300ms;
// With an input file that held no speech the local VAD noticed, give the server this long after
// the input ended to answer anyway (its VAD may have heard what ours did not).
constexpr auto kQuietInputGrace = 4s;
// Rates of the file device: the model's rates, so its 24 kHz audio is written unchanged and the
// input is converted (if at all) once, to 16 kHz.
constexpr int kFileDeviceInputRateHz = dsp::kInputRateHz;
constexpr int kFileDeviceOutputRateHz = dsp::kOutputRateHz;
// The file device's block: 40 ms, as a sound card's callback might be. The io thread runs the
// file device's blocks and the dsp loop as its paced task (ConversationDsp), so the process
// wakes 25 times a second, and neither a device nor a dsp thread does.
constexpr std::size_t kFileDeviceBlockSamples = kFileDeviceInputRateHz / 25;

// Hands events from io to the control thread.
class EventQueue final : public ConversationSink {
public:
    void on_event(const ConversationEvent& event) override {
        {
            std::lock_guard lock(mutex_);
            events_.push_back(event);
        }
        changed_.notify_one();
    }
    std::deque<ConversationEvent> wait(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, timeout, [&] { return !events_.empty(); });
        return std::exchange(events_, {});
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<ConversationEvent> events_;
};

// Writes status and errors, keeping the live line (terminal) below the finished lines.
class Printer {
public:
    explicit Printer(const TalkIo& io) : io_(io) {}
    void line(const std::string& text) {
        clear_live();
        std::fprintf(io_.out, "%s\n", text.c_str());
        std::fflush(io_.out);
    }
    void error(const std::string& text) {
        clear_live();
        std::fflush(io_.out);
        std::fprintf(io_.err, "parley talk: %s\n", text.c_str());
        std::fflush(io_.err);
    }
    void live(const std::string& text) {
        if (!io_.live_status)
            return;
        std::fprintf(io_.out, "\r\033[K%s", text.c_str());
        std::fflush(io_.out);
        live_shown_ = true;
    }
    void clear_live() {
        if (!live_shown_)
            return;
        std::fprintf(io_.out, "\r\033[K");
        live_shown_ = false;
    }

private:
    const TalkIo& io_;
    bool live_shown_ = false;
};

// The close code in "the server closed the session: 1008 ..." (LiveSession's message).
std::optional<int> close_code_in(std::string_view text) {
    constexpr std::string_view kPrefix = "the server closed the session: ";
    const auto at = text.find(kPrefix);
    if (at == std::string_view::npos)
        return std::nullopt;
    text.remove_prefix(at + kPrefix.size());
    int code = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
    if (ec != std::errc{} || end == text.data())
        return std::nullopt;
    return code;
}

TalkExit exit_for_close(std::string_view text) {
    if (const auto code = close_code_in(text)) {
        switch (*code) {
            case 1007:
                return TalkExit::kBadRequest;
            case 1008:
                return TalkExit::kPolicy;
            case 1011:
                return TalkExit::kServerError;
            default:
                return TalkExit::kClosed;
        }
    }
    if (text.starts_with("cannot connect") || text.find("did not answer setup") != text.npos)
        return TalkExit::kConnect;
    return TalkExit::kClosed;
}

// The exit code for a failed open/start, by the error's kind.
TalkExit exit_for_start_error(std::error_code ec) {
    if (ec == dsp::DspCondition::kFileError)
        return TalkExit::kFile;
    if (ec.category() == device::device_category())
        return TalkExit::kDevice;
    // Missing or refused credentials are the user's configuration to fix, as bad options are.
    if (ec == session::SessionCondition::kConfiguration ||
        session::credentials_error_kind(ec) != session::CredentialsError{})
        return TalkExit::kUsage;
    return TalkExit::kFailed;
}

bool has_api_key(const session::Environment& environment) {
    return !environment.get("GEMINI_API_KEY").empty() ||
           !environment.get("GOOGLE_API_KEY").empty() ||
           session::choose_backend({}, environment) == session::Backend::kVertex;
}

// What ends an --input run: the file was streamed, and the last thing the user said was answered
// and has played out.
class InputProgress {
public:
    void on_event(const ConversationEvent& event) {
        ++sequence_;
        switch (event.type) {
            case ConversationEventType::kUserSpeechStarted:
            case ConversationEventType::kBargeIn:
                user_speaking_ = true;
                heard_speech_ = true;
                break;
            case ConversationEventType::kUserSpeechEnded:
                user_speaking_ = false;
                last_speech_end_ = sequence_;
                break;
            case ConversationEventType::kModelTurnEnded:
                last_turn_end_ = sequence_;
                break;
            default:
                break;
        }
    }
    // True when nothing is left to wait for. `since_input_end`: time since the file ended.
    [[nodiscard]] bool finished(bool model_playing, SteadyClock::duration since_input_end) {
        const bool answered = heard_speech_
                                  ? last_turn_end_ > last_speech_end_
                                  : (last_turn_end_ > 0 || since_input_end >= kQuietInputGrace);
        if (user_speaking_ || model_playing || !answered) {
            quiet_ = false;
            return false;
        }
        const auto now = SteadyClock::now();
        if (!quiet_) {
            quiet_ = true;
            quiet_since_ = now;
        }
        return now - quiet_since_ >= kPlayoutTail;
    }

private:
    std::uint64_t sequence_ = 0;
    std::uint64_t last_speech_end_ = 0;
    std::uint64_t last_turn_end_ = 0;
    bool user_speaking_ = false;
    bool heard_speech_ = false;
    // (not std::optional: g++ 12 then warns maybe-uninitialized)
    bool quiet_ = false;
    SteadyClock::time_point quiet_since_{};
};

// Whether `path` can be written, leaving it as it was: an existing file is not truncated and a
// new one is not left behind.
bool can_create(const std::string& path) {
    std::error_code ec;
    const bool existed = std::filesystem::exists(path, ec);
    if (!std::ofstream(path, std::ios::app))
        return false;
    if (!existed)
        std::filesystem::remove(path, ec);
    return true;
}

std::string usage_problem(const TalkOptions& options) {
    const bool files = !options.input_path.empty();
    if (!options.output_path.empty() && !files)
        return "--output needs --input (WAV files replace both ends of the sound card)";
    if (files && (!options.input_device.empty() || !options.output_device.empty()))
        return "--input replaces the sound card: drop --input-device/--output-device";
    if (options.timeout.count() <= 0)
        return "--timeout must be at least 1 second";
    if (!device::parse_audio_backend(options.audio_backend))
        return "--audio-backend must be auto, pulse or portaudio (not '" + options.audio_backend +
               "')";
    return {};
}

}  // namespace

TalkExit run_talk(const TalkOptions& options, const TalkIo& io) {
    Printer print(io);
    if (const auto problem = usage_problem(options); !problem.empty()) {
        print.error(problem);
        return TalkExit::kUsage;
    }
    const bool file_mode = !options.input_path.empty();
    // The transcript is written at the end and the recording once the session starts: a path
    // they cannot go to is said now, before anything else.
    for (const auto* path : {&options.transcript_path, &options.record_path}) {
        if (!path->empty() && !can_create(*path)) {
            print.error(*path +
                        ": cannot create the file: check that the folder exists and is writable");
            return TalkExit::kFile;
        }
    }

    ConversationConfig config;
    config.session.model = options.model;
    config.session.voice_name = options.voice;
    config.session.system_instruction = options.system_instruction;
    config.session.connection.url = options.url;
    config.echo_mode =
        options.headphones || file_mode ? dsp::EchoMode::kOff : dsp::kDefaultEchoMode;
    config.record_path = options.record_path;
    config.session.reconnect.enabled = options.reconnect_for.count() > 0;
    if (config.session.reconnect.enabled)
        config.session.reconnect.give_up_after = options.reconnect_for;

    // Where to talk: the named URL, the Gemini API with a key, else the local server in-process.
    // The remote endpoint is checked now; the local server starts once the audio ends are open.
    const auto environment = session::Environment::from_process();
    const bool local = options.url.empty() && !has_api_key(environment);
    std::string talking_to;
    if (!local) {
        // Vertex AI without a token: Application Default Credentials are looked for now, so a
        // missing one is one line before any audio starts (LiveSession fetches the token).
        if (auto adc = session::apply_default_credentials(config.session, environment); !adc) {
            print.error(adc.error().message());
            return TalkExit::kUsage;
        }
        auto shown = config.session;  // for the line below only: the token comes later
        if (shown.connection.token_provider && shown.connection.access_token.empty())
            shown.connection.access_token = "token";
        auto endpoint = session::resolve_endpoint(shown, environment);
        if (!endpoint) {
            print.error(endpoint.error().message());
            return TalkExit::kUsage;
        }
        talking_to =
            "parley talk: talking to " + endpoint->display_url + " (" + endpoint->model + ")";
    }

    // The audio ends: a missing file or device is reported before a local server starts.
    std::unique_ptr<device::Device> device;
    device::FileDevice* file_device = nullptr;
    if (file_mode) {
        device::FileDeviceOptions file_options{
            .input_path = options.input_path,
            .output_path = options.output_path,
            .rate_hz = kFileDeviceInputRateHz,
            .output_rate_hz = kFileDeviceOutputRateHz,
            .driver = {.pacing = device::Pacing::kRealtimeOnReader,
                       .block_samples = {kFileDeviceBlockSamples}}};
        auto owned = std::make_unique<device::FileDevice>(std::move(file_options));
        file_device = owned.get();
        device = std::move(owned);
    } else {
        device =
            device::make_sound_card({.backend = *device::parse_audio_backend(options.audio_backend),
                                     .input_device = options.input_device,
                                     .output_device = options.output_device});
    }
    std::string why;
    if (auto opened = device->open(&why); !opened) {
        print.error(why.empty() ? opened.error().message() : why);
        return exit_for_start_error(opened.error());
    }

    std::unique_ptr<LocalServer> local_server;
    if (local) {
        LocalServerOptions server_options;
        server_options.port = 0;
        server_options.work_nice = options.local_server_nice;
        server_options.max_connection = std::chrono::seconds(0);
        auto started = LocalServer::start(server_options);
        if (!started) {
            print.error("cannot start the local server: " + started.error().message());
            return TalkExit::kFailed;
        }
        local_server = std::move(*started);
        config.session.connection.url = local_server->url();
        talking_to =
            "parley talk: no API key (GEMINI_API_KEY) and no --url: talking to the local server "
            "in this process at " +
            local_server->url() + " (offline speech)";
    }
    print.line(talking_to);

    EventQueue events;
    TalkExit result = TalkExit::kOk;
    std::vector<TranscriptLine> transcript;
    {
        Conversation conversation(*device, events);
        if (auto started = conversation.start(config, &why); !started) {
            print.error(why.empty() ? started.error().message() : why);
            device->close();
            return exit_for_start_error(started.error());
        }
        print.line(file_mode ? "parley talk: streaming " + options.input_path +
                                   " in real time (Ctrl-C stops)"
                             : "parley talk: listening on " + device->name() +
                                   "; speak when you like (Ctrl-C ends)");

        TalkStatus status(io.live_status);
        InputProgress progress;
        bool input_ended = false;
        SteadyClock::time_point input_end{};
        for (;;) {
            bool closed = false;
            for (const auto& event :
                 events.wait(io.live_status ? kLivePollInterval : kPlainPollInterval)) {
                progress.on_event(event);
                for (const auto& line : status.on_event(event)) print.line(line);
                if (event.type == ConversationEventType::kClosed) {
                    closed = true;
                    if (!event.text.empty()) {
                        print.error(event.text);
                        result = exit_for_close(event.text);
                    } else {
                        print.error("the session ended");
                        result = TalkExit::kClosed;
                    }
                }
            }
            for (const auto& line : status.on_stats(conversation.session_stats())) print.line(line);
            const bool playing = conversation.model_playing();
            status.set_model_playing(playing);
            status.set_mic_level_dbfs(conversation.mic_level_dbfs());
            if (closed)
                break;
            if (io.stop != nullptr && io.stop->load()) {
                print.line("parley talk: stopping");
                result = file_mode ? TalkExit::kInterrupted : TalkExit::kOk;
                break;
            }
            if (file_device != nullptr && file_device->input_finished()) {
                const auto now = SteadyClock::now();
                if (!input_ended) {
                    input_ended = true;
                    input_end = now;
                }
                if (progress.finished(playing, now - input_end))
                    break;
                if (now - input_end > options.timeout) {
                    print.error("the model did not finish answering within " +
                                std::to_string(options.timeout.count()) +
                                " s after the input ended (--timeout)");
                    result = TalkExit::kTimeout;
                    break;
                }
            }
            print.live(status.live_line(conversation.now_ms(),
                                        static_cast<std::size_t>(io.terminal_columns)));
        }
        print.clear_live();
        conversation.stop();
        // Lines that were still in progress, made final (marked unfinished) by stop().
        for (const auto& event : events.wait(0ms)) {
            for (const auto& line : status.on_event(event)) print.line(line);
        }
        transcript = conversation.transcript();
        const auto dropped = conversation.session_stats().audio_dropped_ms;
        if (dropped > 0) {
            print.line("parley talk: " + format_duration_ms(static_cast<double>(dropped)) +
                       " of microphone audio was dropped before sending");
        }
    }
    device->close();
    if (file_device != nullptr) {
        if (const auto failed = file_device->output_error()) {
            print.error("writing " + options.output_path + " failed: " + failed->message());
            if (result == TalkExit::kOk)
                result = TalkExit::kFile;
        }
    }
    if (!options.transcript_path.empty()) {
        if (auto written = write_transcript_jsonl(options.transcript_path, transcript); !written) {
            print.error("cannot write " + options.transcript_path + ": " +
                        written.error().message());
            if (result == TalkExit::kOk)
                result = TalkExit::kFile;
        }
    }
    std::string summary = "parley talk: " + std::to_string(transcript.size()) + " transcript line" +
                          (transcript.size() == 1 ? "" : "s");
    if (!options.output_path.empty())
        summary += "; model audio in " + options.output_path;
    if (!options.record_path.empty())
        summary += "; recording in " + options.record_path;
    if (!options.transcript_path.empty())
        summary += "; transcript in " + options.transcript_path;
    print.line(summary);
    return result;
}

}  // namespace parley

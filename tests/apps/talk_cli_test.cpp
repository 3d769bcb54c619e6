// SPDX-License-Identifier: Apache-2.0
// `parley talk` and `parley devices` given bad input: each failure is one clear line on stderr
// and its own exit code, and what was recorded is kept. The servers that close with 1007, 1008
// and 1011 are scripted here on transport::WsServer.
#include "parley_process.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "dsp/wav_file.hpp"
#include "support/flite_speech.hpp"
#include "support/test_audio.hpp"
#include "transport/event_loop.hpp"
#include "transport/ws_server.hpp"

namespace parley::test {
namespace {

using namespace std::chrono_literals;

// Exit codes of `parley talk` (parley::TalkExit).
constexpr int kUsage = 2;
constexpr int kDevice = 3;
constexpr int kFile = 4;
constexpr int kConnect = 5;
constexpr int kBadRequest = 6;
constexpr int kPolicy = 7;
constexpr int kServerError = 8;

// The lines of `err` that parley itself wrote (ALSA may add its own chatter when PortAudio
// starts on a machine without a sound card).
std::vector<std::string> parley_lines(const std::string& err) {
    std::vector<std::string> lines;
    for (auto& line : lines_of(err)) {
        if (line.starts_with("parley"))
            lines.push_back(line);
    }
    return lines;
}

// Answers setup with setupComplete, then closes with `code` after `after`.
class ClosingServer {
public:
    ClosingServer(std::uint16_t code, std::string reason, std::chrono::milliseconds after)
        : code_(code), reason_(std::move(reason)), after_(after) {
        loop_.start();
        auto server = transport::WsServer::listen(
            loop_, transport::WsServerOptions{}, [this](const transport::UpgradeRequest&) {
                return transport::UpgradeDecision::accept(
                    [this](std::unique_ptr<transport::WsConnection> connection) {
                        open(std::move(connection));
                    });
            });
        if (server)
            server_ = std::move(*server);
    }
    ~ClosingServer() {
        if (server_)
            server_->stop();
        loop_.post([this] { connection_.reset(); });
        loop_.stop();
    }
    [[nodiscard]] bool listening() const { return server_ != nullptr; }
    [[nodiscard]] std::string url() const {
        return "ws://127.0.0.1:" + std::to_string(server_->port());
    }
    [[nodiscard]] int audio_messages() const { return audio_messages_.load(); }

private:
    // io
    void open(std::unique_ptr<transport::WsConnection> connection) {
        connection_ = std::move(connection);
        transport::WsHandlers handlers;
        handlers.on_message = [this](transport::MessageKind, std::string payload) {
            if (!setup_seen_ && payload.find("\"setup\"") != std::string::npos) {
                setup_seen_ = true;
                connection_->send_text(R"({"setupComplete":{}})");
                (void)loop_.schedule(after_, [this] {
                    if (connection_)
                        connection_->close(code_, reason_);
                });
            } else if (payload.find("realtimeInput") != std::string::npos) {
                ++audio_messages_;
            }
        };
        connection_->start(std::move(handlers));
    }

    std::uint16_t code_;
    std::string reason_;
    std::chrono::milliseconds after_;
    transport::EventLoop loop_;
    std::unique_ptr<transport::WsServer> server_;
    std::unique_ptr<transport::WsConnection> connection_;  // io
    bool setup_seen_ = false;                              // io
    std::atomic<int> audio_messages_{0};
};

class TalkCli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fresh_directory(::testing::UnitTest::GetInstance()->current_test_info()->name());
    }
    [[nodiscard]] std::string path(const std::string& name) const { return dir_ + "/" + name; }
    // A spoken question, 16 kHz mono PCM16 unless told otherwise.
    [[nodiscard]] std::string question(const std::string& name, int rate_hz = kSpeechRateHz,
                                       int channels = 1) const {
        auto speech = speak("what is twelve times seven");
        speech.resize(speech.size() + ms_to_samples(500, kSpeechRateHz), 0);
        if (rate_hz != kSpeechRateHz || channels != 1) {
            // Nearest-sample resampling is enough here: the test is about the format.
            const auto frames = speech.size() * static_cast<std::size_t>(rate_hz) / kSpeechRateHz;
            Samples converted;
            for (std::size_t i = 0; i < frames; ++i) {
                const auto sample = speech[i * kSpeechRateHz / static_cast<std::size_t>(rate_hz)];
                for (int c = 0; c < channels; ++c) converted.push_back(sample);
            }
            speech = std::move(converted);
        }
        EXPECT_TRUE(write_wav(path(name), speech, rate_hz, channels));
        return path(name);
    }
    ProcessResult talk(std::vector<std::string> arguments) const {
        arguments.insert(arguments.begin(), "talk");
        return run_parley(arguments, dir_);
    }

    std::string dir_;
};

// The single line parley wrote to stderr, and a failure when there is not exactly one.
std::string one_error_line(const ProcessResult& run) {
    const auto lines = parley_lines(run.err);
    EXPECT_EQ(lines.size(), 1U) << "stderr:\n" << run.err << "stdout:\n" << run.out;
    return lines.empty() ? std::string{} : lines.front();
}

// Frames of a WAV file the run left behind; -1 when it cannot be read.
long long wav_frames(const std::string& file, int expected_channels) {
    auto reader = dsp::WavReader::open(file);
    if (!reader)
        return -1;
    EXPECT_EQ(reader->info().channels, expected_channels);
    return static_cast<long long>(reader->info().frames);
}

TEST_F(TalkCli, AnUnknownDeviceIsNamed) {
    const auto run =
        talk({"--input-device", "no-such-microphone-xyz", "--url", "ws://127.0.0.1:1"});
    EXPECT_EQ(run.exit_code, kDevice);
    const auto line = one_error_line(run);
    EXPECT_NE(line.find("no-such-microphone-xyz"), std::string::npos) << line;
    EXPECT_NE(line.find("parley devices"), std::string::npos) << line;
}

TEST_F(TalkCli, ThePulseBackendWithoutAServerSaysWhatToDo) {
    const auto run = run_parley({"talk", "--audio-backend", "pulse", "--url", "ws://127.0.0.1:1"},
                                dir_, {"PULSE_SERVER=unix:" + dir_ + "/no-server-here"});
    EXPECT_EQ(run.exit_code, kDevice) << run.err;
    const auto line = one_error_line(run);
    EXPECT_NE(line.find("no PulseAudio server answers"), std::string::npos) << line;
    EXPECT_NE(line.find("--audio-backend portaudio"), std::string::npos) << line;

    const auto bad = talk({"--audio-backend", "oss", "--url", "ws://127.0.0.1:1"});
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.err.find("--audio-backend"), std::string::npos) << bad.err;
}

TEST_F(TalkCli, AMissingInputFileIsNamed) {
    const auto missing = path("nothing-here.wav");
    const auto run = talk({"--input", missing, "--url", "ws://127.0.0.1:1"});
    EXPECT_EQ(run.exit_code, kFile);
    EXPECT_NE(one_error_line(run).find("nothing-here.wav"), std::string::npos);

    // With no key and no --url, the file is looked at before the local server starts: the error
    // is all the user sees.
    const auto local = talk({"--input", missing});
    EXPECT_EQ(local.exit_code, kFile);
    EXPECT_NE(one_error_line(local).find("nothing-here.wav"), std::string::npos);
    EXPECT_EQ(local.out, "");
}

TEST_F(TalkCli, ATranscriptOrRecordingThatCannotBeWrittenIsSaidFirst) {
    // Both are written late (the transcript at the end): the user hears of a bad path before
    // talking, not after.
    const auto input = question("q.wav");
    for (const char* option : {"--transcript", "--record"}) {
        const auto unwritable = path("no-such-folder/out");
        const auto run = talk({"--input", input, option, unwritable});
        EXPECT_EQ(run.exit_code, kFile) << option;
        const auto line = one_error_line(run);
        EXPECT_NE(line.find(unwritable + ": cannot create"), std::string::npos) << line;
        EXPECT_EQ(run.out, "") << option;
    }
    // Looking does not touch: a run that fails early keeps an existing file as it was and leaves
    // no new one behind.
    const auto kept = path("kept.jsonl");
    { std::ofstream(kept) << "an earlier transcript\n"; }
    const auto fresh = path("fresh.wav");
    const auto early = talk({"--input-device", "no-such-microphone-xyz", "--url",
                             "ws://127.0.0.1:1", "--transcript", kept, "--record", fresh});
    EXPECT_EQ(early.exit_code, kDevice);
    std::ifstream kept_file(kept);
    std::string kept_text;
    std::getline(kept_file, kept_text);
    EXPECT_EQ(kept_text, "an earlier transcript");
    EXPECT_FALSE(std::filesystem::exists(fresh));
}

TEST(ParleySay, AFileThatCannotBeCreatedIsNamed) {
    const auto dir = fresh_directory("ParleySayUnwritable");
    const auto unwritable = dir + "/no-such-folder/say.wav";
    const auto run = run_parley({"say", "--out", unwritable, "hello"}, dir);
    EXPECT_NE(run.exit_code, 0);
    const auto line = one_error_line(run);
    EXPECT_NE(line.find(unwritable + ": cannot create"), std::string::npos) << line;
}

TEST_F(TalkCli, AFloatWavIsRefusedClearly) {
    // A valid 16 kHz mono IEEE-float WAV: not integer PCM.
    const auto file = path("float.wav");
    {
        const std::uint32_t frames = 16000;
        const std::uint32_t data_bytes = frames * 4;
        std::FILE* f = std::fopen(file.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        auto u32 = [f](std::uint32_t v) { std::fwrite(&v, 4, 1, f); };
        auto u16 = [f](std::uint16_t v) { std::fwrite(&v, 2, 1, f); };
        std::fwrite("RIFF", 1, 4, f);
        u32(36 + data_bytes);
        std::fwrite("WAVEfmt ", 1, 8, f);
        u32(16);
        u16(3);  // WAVE_FORMAT_IEEE_FLOAT
        u16(1);
        u32(16000);
        u32(16000 * 4);
        u16(4);
        u16(32);
        std::fwrite("data", 1, 4, f);
        u32(data_bytes);
        const float sample = 0.1F;
        for (std::uint32_t i = 0; i < frames; ++i) std::fwrite(&sample, 4, 1, f);
        std::fclose(f);
    }
    const auto run = talk({"--input", file, "--url", "ws://127.0.0.1:1"});
    EXPECT_EQ(run.exit_code, kFile);
    const auto line = one_error_line(run);
    EXPECT_NE(line.find("float.wav"), std::string::npos) << line;
    EXPECT_NE(line.find("PCM"), std::string::npos) << line;
}

TEST_F(TalkCli, AStereo44kWavIsConvertedAndARefusedConnectionKeepsTheRecording) {
    // Not refused for its format: the run gets as far as connecting, which is refused.
    const auto input = question("stereo44k.wav", 44100, 2);
    const auto record = path("record.wav");
    const auto transcript = path("t.jsonl");
    const auto run = talk({"--input", input, "--url", "ws://127.0.0.1:1", "--record", record,
                           "--transcript", transcript});
    EXPECT_EQ(run.exit_code, kConnect) << run.err;
    const auto line = one_error_line(run);
    EXPECT_NE(line.find("cannot connect to 127.0.0.1:1"), std::string::npos) << line;
    EXPECT_GE(wav_frames(record, 2), 0) << "the recording is a valid stereo WAV";
    EXPECT_TRUE(std::filesystem::exists(transcript)) << "the transcript is written on failure too";
}

struct CloseCase {
    std::uint16_t code;
    const char* reason;
    int exit_code;
};

class TalkCliClose : public TalkCli, public ::testing::WithParamInterface<CloseCase> {};

TEST_P(TalkCliClose, TheServersCloseCodeIsReportedAndTheRecordingKept) {
    const auto& param = GetParam();
    ClosingServer server(param.code, param.reason, 1200ms);
    ASSERT_TRUE(server.listening());
    const auto input = question("q.wav");
    const auto record = path("record.wav");
    const auto output = path("reply.wav");
    // No reconnecting: 1011 would otherwise be retried (with the resumption handle) for a minute.
    const auto run = talk({"--input", input, "--output", output, "--url", server.url(), "--record",
                           record, "--reconnect-for", "0"});
    EXPECT_EQ(run.exit_code, param.exit_code) << run.err;
    const auto line = one_error_line(run);
    EXPECT_NE(line.find(std::to_string(param.code)), std::string::npos) << line;
    EXPECT_NE(line.find(param.reason), std::string::npos) << line;
    EXPECT_GT(server.audio_messages(), 0) << "the microphone audio was being sent";
    // About a second passed before the close: the recording holds it (16 kHz stereo).
    EXPECT_GT(wav_frames(record, 2), 16000 / 2);
    EXPECT_GE(wav_frames(output, 1), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Codes, TalkCliClose,
    ::testing::Values(CloseCase{1007, "Request contains an invalid argument.", kBadRequest},
                      CloseCase{1008, "models/nope is not found for API version v1beta", kPolicy},
                      CloseCase{1011, "Internal error encountered.", kServerError}),
    [](const auto& info) { return "Close" + std::to_string(info.param.code); });

TEST_F(TalkCli, OptionsThatDoNotFitAreRefused) {
    const auto run = talk({"--output", path("reply.wav")});
    EXPECT_EQ(run.exit_code, kUsage);
    EXPECT_NE(one_error_line(run).find("--output needs --input"), std::string::npos);
    const auto unknown = talk({"--no-such-flag"});
    EXPECT_NE(unknown.exit_code, 0);
}

TEST_F(TalkCli, VertexAiWithoutCredentialsNamesWhatWasTried) {
    // GOOGLE_GENAI_USE_VERTEXAI=1 (as the SDKs accept) picks Vertex AI, not the local server; with
    // no key file and no gcloud login under HOME, Application Default Credentials find nothing.
    const auto run = run_parley(
        {"talk", "--input", question("q.wav")}, dir_,
        {"GOOGLE_GENAI_USE_VERTEXAI=1", "GOOGLE_CLOUD_PROJECT=demo-project",
         "GOOGLE_CLOUD_LOCATION=us-central1", "GOOGLE_APPLICATION_CREDENTIALS=", "HOME=" + dir_});
    EXPECT_EQ(run.exit_code, kUsage);
    const auto line = one_error_line(run);
    EXPECT_NE(line.find("GOOGLE_APPLICATION_CREDENTIALS"), std::string::npos) << line;
    EXPECT_EQ(run.out.find("local server"), std::string::npos) << run.out;
}

TEST_F(TalkCli, HelpNamesEveryOption) {
    const auto run = talk({"--help"});
    EXPECT_EQ(run.exit_code, 0);
    for (const char* option :
         {"--url", "--model", "--voice", "--system", "--input-device", "--output-device",
          "--audio-backend", "--input", "--output", "--record", "--transcript", "--headphones",
          "--timeout", "--reconnect-for", "--log-level"}) {
        EXPECT_NE(run.out.find(option), std::string::npos) << option;
    }
}

TEST(ParleyDevices, ListsDevicesOrSaysThereAreNone) {
    const auto dir = fresh_directory("devices");
    const auto run = run_parley({"devices"}, dir);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    const auto lines = lines_of(run.out);
    ASSERT_FALSE(lines.empty());
    if (lines.front().starts_with("no audio devices")) {
        EXPECT_EQ(lines.size(), 1U);
    } else {
        EXPECT_NE(lines.front().find("index"), std::string::npos) << run.out;
        EXPECT_GE(lines.size(), 2U) << run.out;
    }
}

// ALSA's and JACK's complaints while PortAudio probes ("ALSA lib pcm.c:2666:(snd_pcm_open_noupdate)
// Unknown PCM cards.pcm.rear", "jack server is not running") go to the debug log, not stderr.
TEST(ParleyDevices, TheSoundLibrariesOwnNoiseStaysOffTheTerminal) {
    const auto dir = fresh_directory("devices-quiet");
    for (const auto& arguments : std::vector<std::vector<std::string>>{
             {"devices"},
             {"talk", "--input-device", "no-such-microphone-xyz", "--url", "ws://127.0.0.1:1"}}) {
        const auto run = run_parley(arguments, dir);
        for (const char* noise :
             {"ALSA lib", "jack server", "Cannot connect to server", "JackShmReadWritePtr"}) {
            EXPECT_EQ(run.err.find(noise), std::string::npos) << arguments.front() << ": stderr:\n"
                                                              << run.err;
        }
    }
}

}  // namespace
}  // namespace parley::test

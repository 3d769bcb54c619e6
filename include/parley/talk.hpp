// SPDX-License-Identifier: Apache-2.0
// run_talk: what `parley talk` does once its options are parsed. Opens the sound card (or WAV
// files), starts the in-process local server when no API key and no URL are given, runs a
// Conversation until Ctrl-C (or, with an input file, until the model's last turn has played),
// then writes the transcript. Runs on the caller's (control) thread; prints status to `out` and
// one-line errors to `err`. Exit codes: TalkExit.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>

namespace parley {

// The exit codes of `parley talk`: one per kind of failure, so scripts can tell them apart.
enum class TalkExit : int {
    kOk = 0,
    kFailed = 1,         // anything not listed below
    kUsage = 2,          // options that do not fit together, or a configuration error
    kDevice = 3,         // an audio device cannot be found or opened
    kFile = 4,           // --input cannot be read (missing, not PCM WAV) or an output not written
    kConnect = 5,        // cannot connect (refused, DNS, TLS, upgrade rejected)
    kBadRequest = 6,     // the server closed the session with 1007 (invalid argument)
    kPolicy = 7,         // the server closed the session with 1008 (not found, not allowed)
    kServerError = 8,    // the server closed the session with 1011 (its own trouble)
    kClosed = 9,         // the session ended otherwise (other close codes, connection lost)
    kTimeout = 10,       // --input: the model did not finish answering within --timeout
    kInterrupted = 130,  // --input: stopped by Ctrl-C before the answer finished
};

struct TalkOptions {
    // Where to connect: a ws:// or wss:// URL; empty: the Gemini API when GEMINI_API_KEY or
    // GOOGLE_API_KEY is set, else the in-process local server over loopback.
    std::string url{};
    std::string model = "gemini-2.5-flash-native-audio-preview-12-2025";
    std::string voice{};               // "Kore", "Puck", ...; empty: the model's default
    std::string system_instruction{};  // empty: none
    // Sound card ends: "" = default, digits = index from `parley devices`, else a name part.
    std::string input_device{};
    std::string output_device{};
    // Who drives the sound card: "auto" (PulseAudio natively when its server answers, else
    // PortAudio), "pulse" or "portaudio".
    std::string audio_backend = "auto";
    // WAV files instead of the sound card: the input is streamed at real-time pace (any rate
    // and channel count of integer PCM; converted to mono), the model's audio goes to output.
    std::string input_path{};
    std::string output_path{};
    std::string record_path{};      // stereo WAV: microphone left, model right
    std::string transcript_path{};  // JSON lines, one per turn, as heard
    bool headphones = false;        // echo cancellation off
    // With input_path: how long to wait for the model after the file has been streamed.
    std::chrono::seconds timeout{60};
    // After a lost connection or a retryable close (1011, 1013, ...), keep reconnecting with the
    // resumption handle for this long; 0: end at once with the server's reason.
    std::chrono::seconds reconnect_for{60};
    // Worker priority of the in-process local server (nice increment; > 0 is lower).
    int local_server_nice = 10;
};

// Where run_talk writes, and how it is stopped.
struct TalkIo {
    std::FILE* out = stdout;  // status and transcript
    std::FILE* err = stderr;  // one-line errors
    // A live one-line status (redrawn in place) instead of plain lines; for a terminal.
    bool live_status = false;
    int terminal_columns = 100;
    // Set (e.g. by a SIGINT/SIGTERM handler) to end the conversation cleanly.
    const std::atomic<bool>* stop = nullptr;
};

// Runs one conversation; returns its exit code. Never throws.
[[nodiscard]] TalkExit run_talk(const TalkOptions& options, const TalkIo& io);

}  // namespace parley

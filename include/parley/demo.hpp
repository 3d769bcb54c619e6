// SPDX-License-Identifier: Apache-2.0
// `parley demo` (what `make demo` runs): a scripted spoken conversation through the real
// Conversation client and the in-process local server, with no sound card. flite speaks the
// user's turns into a ScriptedDevice paced in real time whose simulated room puts the model's
// voice back into the microphone, so echo cancellation and barge-in do real work. Writes the
// recording, transcript and timeline and prints a summary. Runs on the caller's thread (control).
#pragma once

#include <cstdio>
#include <string>

namespace parley {

struct DemoOptions {
    std::string out_dir = "out/demo";  // conversation.wav, transcript.jsonl, timeline.svg
    int device_rate_hz = 16000;        // the simulated sound card's rate
};

// Runs the demo, printing progress and the summary to `out`. Returns 0 when every scripted turn
// happened as planned (answered, interrupted, tool called) and the files were written; 1
// otherwise, with a line saying what went wrong.
[[nodiscard]] int run_demo(const DemoOptions& options, std::FILE* out);

}  // namespace parley

// SPDX-License-Identifier: Apache-2.0
// `parley demo` end to end: runs the demo (paced in real time, hence `realtime`) into a temporary
// folder and checks what a user would open: a stereo WAV with the microphone and the model both
// audible, a transcript whose lines parse and include the interrupted story, and a well-formed
// timeline SVG.
#include "parley/demo.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dsp/wav_file.hpp"

namespace parley {
namespace {

std::string read_text(const std::filesystem::path& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

double rms(const std::vector<std::int16_t>& pcm) {
    double sum = 0;
    for (const auto s : pcm) sum += static_cast<double>(s) * s;
    return pcm.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(pcm.size()));
}

// Every element opened is closed in order (self-closing ones aside); the root is <svg>.
bool well_formed_svg(const std::string& svg, std::string* why) {
    static const std::regex tag(R"(<(/?)([a-zA-Z][a-zA-Z0-9]*)([^<>]*?)(/?)>)");
    std::vector<std::string> open;
    bool root_seen = false;
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tag); it != std::sregex_iterator();
         ++it) {
        const auto& m = *it;
        const std::string name = m[2];
        if (m[1].length() > 0) {
            if (open.empty() || open.back() != name) {
                *why = "</" + name + "> closes " + (open.empty() ? "nothing" : open.back());
                return false;
            }
            open.pop_back();
        } else if (m[4].length() == 0) {
            if (open.empty()) {
                if (root_seen || name != "svg") {
                    *why = "<" + name + "> outside the <svg> root";
                    return false;
                }
                root_seen = true;
            }
            open.push_back(name);
        }
    }
    if (!open.empty())
        *why = "<" + open.back() + "> is never closed";
    else if (!root_seen)
        *why = "no <svg> root";
    return root_seen && open.empty();
}

TEST(DemoTest, WritesAStereoRecordingATranscriptWithTheInterruptionAndATimeline) {
    const auto dir =
        std::filesystem::temp_directory_path() /
        ("parley_demo_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    std::filesystem::remove_all(dir);
    DemoOptions options;
    options.out_dir = dir.string();
    std::FILE* out = std::tmpfile();
    ASSERT_NE(out, nullptr);
    const int code = run_demo(options, out);
    std::rewind(out);
    std::string printed;
    for (int c = std::fgetc(out); c != EOF; c = std::fgetc(out)) printed += static_cast<char>(c);
    std::fclose(out);
    EXPECT_EQ(code, 0) << printed;
    EXPECT_NE(printed.find("response latency"), std::string::npos) << printed;
    EXPECT_NE(printed.find("barge-in onset -> silence"), std::string::npos) << printed;
    // What each step printed is in the order it happened, and a step ends with its answer.
    {
        static const std::regex timed(R"(^ +([0-9]+\.[0-9]+) s  )");
        std::istringstream text(printed);
        double last_s = -1;
        for (std::string line; std::getline(text, line);) {
            std::smatch m;
            if (std::regex_search(line, m, timed)) {
                const double s = std::stod(m[1]);
                EXPECT_GE(s, last_s) << "printed out of order: " << line << "\n" << printed;
                last_s = s;
            } else if (line.empty()) {
                last_s = -1;  // a new step
            }
        }
        const auto answer = printed.find("model: Seven times six");
        EXPECT_NE(answer, std::string::npos) << printed;
        EXPECT_LT(answer, printed.find("3. a tool call")) << printed;
    }

    // The recording: stereo, the user's voice on the left and the model's on the right.
    auto reader = dsp::WavReader::open((dir / "conversation.wav").string());
    ASSERT_TRUE(reader) << reader.error().message();
    ASSERT_EQ(reader->info().channels, 2);
    std::vector<std::int16_t> all(static_cast<std::size_t>(reader->info().frames) * 2);
    const auto read = reader->read(all);
    ASSERT_TRUE(read);
    all.resize(*read);
    std::vector<std::int16_t> left, right;
    for (std::size_t i = 0; i + 1 < all.size(); i += 2) {
        left.push_back(all[i]);
        right.push_back(all[i + 1]);
    }
    EXPECT_GT(left.size(), static_cast<std::size_t>(reader->info().sample_rate_hz) * 15)
        << "the conversation lasts more than 15 s";
    EXPECT_GT(rms(left), 100.0) << "the microphone channel is silent";
    EXPECT_GT(rms(right), 100.0) << "the model channel is silent";

    // The transcript: JSON lines, users and model, the story marked interrupted.
    std::ifstream transcript(dir / "transcript.jsonl");
    ASSERT_TRUE(transcript);
    int user_lines = 0, model_lines = 0, interrupted = 0;
    std::string first_user_line;
    for (std::string line; std::getline(transcript, line);) {
        const auto j = nlohmann::json::parse(line, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << line;
        ASSERT_TRUE(j.contains("who") && j.contains("text") && j.contains("start_ms")) << line;
        if (j["who"] == "user" && ++user_lines == 1)
            first_user_line = j["text"];
        if (j["who"] == "model")
            ++model_lines;
        if (j["who"] == "model" && j.value("interrupted", false))
            ++interrupted;
    }
    EXPECT_GE(user_lines, 3);
    // The user's voice is recognized as said (the question reaches the server whole).
    EXPECT_EQ(first_user_line, "what is two plus two");
    EXPECT_GE(model_lines, 4);
    EXPECT_EQ(interrupted, 1);

    const auto svg = read_text(dir / "timeline.svg");
    std::string why;
    EXPECT_TRUE(well_formed_svg(svg, &why)) << why;
    EXPECT_NE(svg.find("barge-in"), std::string::npos);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace parley

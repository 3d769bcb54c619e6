// SPDX-License-Identifier: Apache-2.0
// Conversation reports (see conversation_report.hpp).
#include "session/conversation_report.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace parley::session {
namespace {

std::string xml_escape(const std::string& text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '&':
                out += "&amp;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

Status write_text(const std::string& path, const std::string& text) {
    errno = 0;
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << text;
    file.close();
    if (!file)
        return parley::fail(std::error_code(errno != 0 ? errno : EIO, std::generic_category()));
    return {};
}

}  // namespace

Status write_transcript_jsonl(const std::string& path, std::span<const TranscriptLine> lines) {
    std::string text;
    for (const auto& line : lines) {
        nlohmann::ordered_json j = {{"who", line.who},
                                    {"text", line.text},
                                    {"start_ms", std::lround(line.start_ms)},
                                    {"end_ms", std::lround(line.end_ms)},
                                    {"interrupted", line.interrupted},
                                    {"turn", line.turn}};
        if (line.incomplete)
            j["incomplete"] = true;
        text += j.dump() + "\n";
    }
    return write_text(path, text);
}

Status write_timeline_svg(const std::string& path, std::span<const TranscriptLine> lines,
                          std::span<const TimelineMark> marks,
                          std::span<const TurnMetrics> metrics) {
    double end_ms = 1000;
    for (const auto& line : lines) end_ms = std::max(end_ms, line.end_ms);
    for (const auto& mark : marks) end_ms = std::max(end_ms, mark.at_ms);
    end_ms += 1000;
    constexpr double kWidth = 1400, kLeft = 70, kTop = 40;
    const double scale = (kWidth - kLeft - 20) / end_ms;
    const auto x = [&](double ms) { return kLeft + ms * scale; };
    std::string svg = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"420\" "
        "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" "
        "fill=\"white\"/>\n<text x=\"10\" y=\"20\" font-size=\"14\">Parley conversation "
        "timeline</text>\n<text x=\"10\" y=\"{}\">user</text>\n<text x=\"10\" "
        "y=\"{}\">model</text>\n",
        kWidth, kTop + 45, kTop + 125);
    for (double s = 0; s <= end_ms; s += 1000) {
        svg += fmt::format(
            "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#eee\"/>"
            "<text x=\"{0:.1f}\" y=\"{3}\" fill=\"#888\">{4:.0f}s</text>\n",
            x(s), kTop, kTop + 200, kTop + 215, s / 1000);
    }
    for (const auto& line : lines) {
        const bool user = line.who == "user";
        const double y = user ? kTop + 20 : kTop + 100;
        const double w = std::max(2.0, (line.end_ms - line.start_ms) * scale);
        svg += fmt::format(
            "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"40\" fill=\"{}\" "
            "opacity=\"0.8\"><title>{}</title></rect>\n",
            x(line.start_ms), y, w, user ? "#4a90d9" : (line.interrupted ? "#e8a33d" : "#5cb85c"),
            xml_escape(line.text));
        svg += fmt::format(
            "<text x=\"{:.1f}\" y=\"{}\">{}</text>\n", x(line.start_ms), user ? y - 4 : y + 54,
            xml_escape(line.text.substr(0, 40) + (line.text.size() > 40 ? "..." : "")));
    }
    double mark_y = kTop + 250;
    for (const auto& mark : marks) {
        svg += fmt::format(
            "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#d9534f\" "
            "stroke-dasharray=\"4 3\"/><text x=\"{0:.1f}\" y=\"{3}\" fill=\"#d9534f\">{4}</text>\n",
            x(mark.at_ms), kTop, kTop + 200, mark_y, xml_escape(mark.label));
        mark_y = mark_y > kTop + 320 ? kTop + 250 : mark_y + 14;
    }
    double text_y = kTop + 350;
    for (const auto& m : metrics) {
        std::string text = fmt::format("turn {}: generated {:.0f} ms, played {:.0f} ms", m.turn,
                                       m.generated_ms, m.played_ms);
        if (m.response_latency_ms)
            text += fmt::format(", latency {:.0f} ms", *m.response_latency_ms);
        if (m.barge_in_silence_ms) {
            text += fmt::format(", barge-in to silence {:.0f} ms", *m.barge_in_silence_ms);
        }
        if (m.interrupted)
            text += " (interrupted)";
        svg += fmt::format("<text x=\"10\" y=\"{}\">{}</text>\n", text_y, xml_escape(text));
        text_y += 14;
    }
    svg += "</svg>\n";
    return write_text(path, svg);
}

}  // namespace parley::session

// SPDX-License-Identifier: Apache-2.0
// TalkStatus (see talk_status.hpp).
#include "parley/talk_status.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace parley {
namespace {

std::string stamp(double at_ms) {
    char text[32];
    std::snprintf(text, sizeof text, "[%6.1f s] ", std::max(0.0, at_ms) / 1000.0);
    return text;
}

// At most `max_bytes` of `text`: its start (`tail` false) or its end, never inside a UTF-8
// sequence.
std::string utf8_cut(const std::string& text, std::size_t max_bytes, bool tail) {
    if (text.size() <= max_bytes)
        return text;
    const auto continuation = [&](std::size_t i) {
        return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
    };
    if (tail) {
        std::size_t from = text.size() - max_bytes;
        while (continuation(from)) ++from;
        return text.substr(from);
    }
    std::size_t end = max_bytes;
    while (end > 0 && continuation(end)) --end;
    return text.substr(0, end);
}

}  // namespace

std::string format_duration_ms(double ms) {
    char text[32];
    if (std::abs(ms) < 1000.0) {
        std::snprintf(text, sizeof text, "%.0f ms", ms);
    } else {
        std::snprintf(text, sizeof text, "%.1f s", ms / 1000.0);
    }
    return text;
}

std::string level_meter(double dbfs) {
    constexpr int kCells = 10;
    constexpr double kFloorDb = -60.0;
    const double clamped = std::clamp(dbfs, kFloorDb, 0.0);
    const int lit = static_cast<int>(std::lround((clamped - kFloorDb) / -kFloorDb * kCells));
    return "[" + std::string(static_cast<std::size_t>(lit), '#') +
           std::string(static_cast<std::size_t>(kCells - lit), ' ') + "]";
}

std::vector<std::string> TalkStatus::on_event(const ConversationEvent& event) {
    using Type = ConversationEventType;
    std::vector<std::string> lines;
    const std::string at = stamp(event.at_ms);
    switch (event.type) {
        case Type::kReady:
            lines.push_back(at + "connected: speak when you like");
            break;
        case Type::kUserSpeechStarted:
            user_speaking_ = true;
            if (!live_ && shown_ != Speaker::kUser) {
                lines.push_back(at + "you are speaking");
                shown_ = Speaker::kUser;
            }
            break;
        case Type::kUserSpeechEnded:
            user_speaking_ = false;
            last_user_end_ms_ = event.at_ms;
            break;
        case Type::kModelAudible:
            model_speaking_ = true;
            if (last_user_end_ms_ >= 0 && event.at_ms >= last_user_end_ms_) {
                last_latency_ms_ = event.at_ms - last_user_end_ms_;
            }
            if (!live_) {
                std::string line = at + "model is speaking";
                if (last_latency_ms_ && last_user_end_ms_ >= 0) {
                    line += " (" + format_duration_ms(*last_latency_ms_) + " after you stopped)";
                }
                lines.push_back(line);
                shown_ = Speaker::kModel;
            }
            last_user_end_ms_ = -1;  // one latency per answer
            break;
        case Type::kBargeIn:
            user_speaking_ = true;
            lines.push_back(at + "you interrupted: playback paused");
            shown_ = Speaker::kUser;
            break;
        case Type::kBargeInResumed:
            lines.push_back(at + "not an interruption: playback resumed");
            break;
        case Type::kInterrupted:
            model_speaking_ = false;
            lines.push_back(at + "the model stopped (interrupted)");
            break;
        case Type::kModelTurnEnded: {
            ++turns_;
            if (!event.metrics)
                break;
            const auto& m = *event.metrics;
            std::string line = at + "turn " + std::to_string(turns_) + ":";
            if (m.response_latency_ms) {
                last_latency_ms_ = *m.response_latency_ms;
                line += " latency " + format_duration_ms(*m.response_latency_ms) + ",";
            }
            line += " played " + format_duration_ms(m.played_ms) + " of " +
                    format_duration_ms(m.generated_ms);
            if (m.barge_in_silence_ms) {
                line +=
                    ", silent " + format_duration_ms(*m.barge_in_silence_ms) + " after you spoke";
            }
            if (m.interrupted)
                line += " (interrupted)";
            lines.push_back(line);
            break;
        }
        case Type::kTranscript:
            if (event.line) {
                const bool user = event.line->who == "user";
                (user ? user_partial_ : model_partial_).clear();
                if (!event.line->text.empty()) {
                    lines.push_back(at + (user ? "you:   " : "model: ") + event.line->text +
                                    (event.line->interrupted ? " [cut: what you heard]" : "") +
                                    (event.line->incomplete ? " [unfinished: stopped]" : ""));
                }
            }
            break;
        case Type::kTranscriptPartial:
            if (event.line) {
                const bool user = event.line->who == "user";
                (user ? user_partial_ : model_partial_) = event.line->text;
                model_partial_latest_ = !user;
            }
            break;
        case Type::kGoAway: {
            double left_ms = 0;
            std::from_chars(event.text.data(), event.text.data() + event.text.size(), left_ms);
            lines.push_back(at + "the server will close this connection in " +
                            format_duration_ms(left_ms) +
                            " (goAway): moving to a new one at the next pause");
            break;
        }
        case Type::kReconnecting:
            if (event.reconnecting) {
                const auto& r = *event.reconnecting;
                if (r.cause == session::ReconnectCause::kGoAway) {
                    connection_note_ = "switching connections";
                    lines.push_back(at + "switching to a new connection (goAway)");
                } else {
                    connection_note_ = "reconnecting (attempt " + std::to_string(r.attempt) + ")";
                    lines.push_back(
                        at + "connection lost: reconnecting (attempt " + std::to_string(r.attempt) +
                        " in " + format_duration_ms(static_cast<double>(r.retry_in.count())) + ")");
                }
            }
            break;
        case Type::kResumed:
            connection_note_.clear();
            if (event.resumed) {
                const auto& r = *event.resumed;
                std::string line =
                    at + (r.cause == session::ReconnectCause::kGoAway
                              ? std::string("switched connections without a gap")
                              : "resumed after " +
                                    format_duration_ms(static_cast<double>(r.gap.count())));
                line += ", " + format_duration_ms(static_cast<double>(r.audio_lost_ms)) +
                        " of audio lost";
                if (r.audio_resent_ms > 0) {
                    line += " (" + format_duration_ms(static_cast<double>(r.audio_resent_ms)) +
                            " sent again)";
                }
                lines.push_back(line);
            }
            break;
        case Type::kToolCall:
            lines.push_back(at + "tool: " + event.text);
            break;
        case Type::kClosed:
            connection_note_.clear();
            break;  // the runner reports why, on stderr
    }
    return lines;
}

std::vector<std::string> TalkStatus::on_stats(const session::SessionStats& stats) {
    std::vector<std::string> lines;
    sent_ms_ = stats.audio_sent_ms;
    if (stats.audio_dropped_ms > dropped_ms_) {
        lines.push_back("microphone audio dropped before sending: " +
                        format_duration_ms(static_cast<double>(stats.audio_dropped_ms)) +
                        " in all (the connection is slower than real time)");
        dropped_ms_ = stats.audio_dropped_ms;
    }
    return lines;
}

Speaker TalkStatus::speaker() const {
    if (user_speaking_ && model_speaking_)
        return Speaker::kBoth;
    if (user_speaking_)
        return Speaker::kUser;
    if (model_speaking_)
        return Speaker::kModel;
    return Speaker::kNobody;
}

std::string TalkStatus::line_in_progress() const {
    const bool model = model_partial_latest_ ? !model_partial_.empty() : user_partial_.empty();
    const std::string& text = model ? model_partial_ : user_partial_;
    if (text.empty())
        return {};
    return (model ? "model: " : "you: ") + text;
}

std::string TalkStatus::live_line(double now_ms, std::size_t columns) const {
    static constexpr const char* kWho[] = {"listening", "you", "model", "you + model"};
    std::string line = stamp(now_ms);
    line += "speaking: ";
    line += kWho[static_cast<int>(speaker())];
    line += "  mic ";
    if (mic_level_dbfs_) {
        line += level_meter(*mic_level_dbfs_);
    } else {
        line += user_speaking_ ? "[voice]" : "[quiet]";
    }
    line += "  sent " + format_duration_ms(static_cast<double>(sent_ms_));
    if (dropped_ms_ > 0)
        line += "  dropped " + format_duration_ms(static_cast<double>(dropped_ms_));
    if (last_latency_ms_)
        line += "  latency " + format_duration_ms(*last_latency_ms_);
    if (!connection_note_.empty())
        line += "  " + connection_note_;
    // The line in progress, its latest words when it does not fit.
    constexpr std::size_t kMinRoom = 16;
    if (auto progress = line_in_progress();
        !progress.empty() && line.size() + kMinRoom <= columns) {
        const std::size_t room = columns - line.size() - 3;  // " | "
        if (progress.size() > room) {
            const auto colon = progress.find(": ");
            const std::string who = progress.substr(0, colon + 2);
            const std::size_t keep = room > who.size() + 3 ? room - who.size() - 3 : 0;
            progress = who + "..." + utf8_cut(progress.substr(who.size()), keep, true);
        }
        line += " | " + progress;
    }
    return utf8_cut(line, columns, false);
}

}  // namespace parley

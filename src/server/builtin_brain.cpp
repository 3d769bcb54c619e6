// SPDX-License-Identifier: Apache-2.0
#include "server/builtin_brain.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>

#include "server/engine_error.hpp"
#include "server/number_words.hpp"

namespace parley::server {
namespace {

using Words = std::span<const std::string>;
using Json = nlohmann::ordered_json;

// An original story, long enough (about a minute with flite) to try barge-in on.
constexpr std::array<std::string_view, 14> kStory{
    "Once upon a time, in a small town by the sea, there lived a lighthouse keeper named Tom.",
    "Every night he climbed one hundred steps to light the great lamp at the top of the tower.",
    "One winter evening a storm rolled in from the north, and the wind began to howl.",
    "Far out on the water, a little fishing boat was lost in the rain.",
    "Tom saw its tiny light rising and falling on the dark waves.",
    "He turned the great lamp toward the boat and rang the old bell again and again.",
    "The captain heard the bell and followed the light through the night.",
    "Slowly the boat found its way past the rocks and into the quiet harbor.",
    "In the morning, the whole town came up the hill to thank the keeper.",
    "Tom only smiled and said that the light belongs to everyone who needs it.",
    "From that day on, the children of the town took turns helping him climb the hundred "
    "steps.",
    "They learned the names of the stars and the songs of the sailors.",
    "And every night, the lamp still shines across the sea.",
    "The end.",
};

constexpr std::array<std::string_view, 11> kLocationWords{
    "location", "city",   "place", "destination", "country", "address",
    "town",     "region", "area",  "where",       "origin"};
constexpr std::array<std::string_view, 4> kStopWords{"and", "please", "with", "then"};
constexpr std::array<std::string_view, 5> kPlacePrepositions{"in", "for", "to", "at", "from"};
constexpr std::array<std::string_view, 9> kLeadingFillers{"in",    "for", "to", "at", "of",
                                                          "about", "the", "a",  "on"};
constexpr std::array<std::string_view, 12> kWeekdays{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                     "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths{"January",   "February", "March",    "April",
                                                   "May",       "June",     "July",     "August",
                                                   "September", "October",  "November", "December"};

template <typename Range>
bool contains(const Range& range, std::string_view word) {
    return std::find(std::begin(range), std::end(range), word) != std::end(range);
}

bool has_word(Words words, std::string_view word) {
    return contains(words, word);
}

// Index of the last occurrence of `word`, or npos.
std::size_t last_index(Words words, std::string_view word) {
    for (std::size_t i = words.size(); i > 0; --i) {
        if (words[i - 1] == word)
            return i - 1;
    }
    return std::string::npos;
}

std::string join(Words words, std::size_t begin, std::size_t end) {
    std::string out;
    for (std::size_t i = begin; i < std::min(end, words.size()); ++i) {
        if (!out.empty())
            out += ' ';
        out += words[i];
    }
    return out;
}

std::string sentence_case(std::string text) {
    if (!text.empty())
        text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
    return text;
}

// Words from `begin` up to a stop word, one of `more_stops`, or `max_words`.
std::string phrase_from(Words words, std::size_t begin, const std::vector<std::string>& more_stops,
                        std::size_t max_words = 4) {
    std::size_t end = begin;
    while (end < words.size() && end - begin < max_words && !contains(kStopWords, words[end]) &&
           !contains(more_stops, words[end])) {
        ++end;
    }
    return join(words, begin, end);
}

// ---- tools ----

Json value_for(const Json& schema, Words words, std::size_t begin,
               const std::vector<std::string>& stops) {
    if (begin >= words.size())
        return nullptr;
    const std::string type = schema.is_object() ? schema.value("type", std::string()) : "";
    const auto lower = [](std::string s) {
        for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return s;
    };
    if (lower(type) == "number" || lower(type) == "integer") {
        const auto number = parse_number(words.subspan(begin));
        if (!number)
            return nullptr;
        if (lower(type) == "integer")
            return static_cast<std::int64_t>(std::llround(number->value));
        return number->value;
    }
    std::string phrase = phrase_from(words, begin, stops);
    if (phrase.empty())
        return nullptr;
    return phrase;
}

bool is_fillable(const Json& schema) {
    if (!schema.is_object() || !schema.contains("type"))
        return true;
    std::string type = schema["type"].is_string() ? schema["type"].get<std::string>() : "";
    for (auto& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return type.empty() || type == "string" || type == "number" || type == "integer";
}

// The leaf values of a tool response, spoken: strings as they are, numbers in words.
void collect_values(const Json& value, std::vector<std::string>& out) {
    if (value.is_object() || value.is_array()) {
        for (const auto& item : value) collect_values(item, out);
    } else if (value.is_string()) {
        if (!value.get<std::string>().empty())
            out.push_back(value.get<std::string>());
    } else if (value.is_number_integer()) {
        out.push_back(number_to_words(value.get<std::int64_t>()));
    } else if (value.is_number()) {
        out.push_back(decimal_to_words(value.get<double>()));
    } else if (value.is_boolean()) {
        out.push_back(value.get<bool>() ? "yes" : "no");
    }
}

std::string tool_result_sentence(const HistoryEntry& entry) {
    std::string name = join(identifier_words(entry.tool_name), 0, std::string::npos);
    if (name.empty())
        name = "tool";
    std::vector<std::string> values;
    collect_values(entry.tool_response, values);
    if (values.empty())
        return "The " + name + " call is done.";
    std::string text = "The " + name + " result is ";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0)
            text += ", ";
        text += values[i];
    }
    while (!text.empty() && (text.back() == '.' || text.back() == ' ')) text.pop_back();
    return text + ".";
}

// ---- arithmetic ----

struct Operator {
    std::size_t words;        // how many words it takes
    std::string_view spoken;  // how the answer says it
    char op;
};

std::optional<Operator> operator_at(Words words, std::size_t i) {
    if (i >= words.size())
        return std::nullopt;
    const std::string& w = words[i];
    const bool by_follows = i + 1 < words.size() && words[i + 1] == "by";
    if (w == "plus" || w == "+")
        return Operator{1, "plus", '+'};
    if (w == "minus" || w == "-")
        return Operator{1, "minus", '-'};
    if (w == "times" || w == "x" || w == "*")
        return Operator{1, "times", '*'};
    if (w == "multiplied" && by_follows)
        return Operator{2, "times", '*'};
    if (w == "divided" && by_follows)
        return Operator{2, "divided by", '/'};
    if (w == "over" || w == "/")
        return Operator{1, "divided by", '/'};
    return std::nullopt;
}

std::optional<std::string> arithmetic_answer(Words words) {
    for (std::size_t i = 0; i < words.size(); ++i) {
        const auto left = parse_number(words.subspan(i));
        if (!left)
            continue;
        const std::size_t op_at = i + left->words_used;
        const auto op = operator_at(words, op_at);
        if (!op)
            continue;
        const auto right = parse_number(words.subspan(std::min(words.size(), op_at + op->words)));
        if (!right)
            continue;
        const std::string question = decimal_to_words(left->value) + " " + std::string(op->spoken) +
                                     " " + decimal_to_words(right->value);
        double result = 0;
        switch (op->op) {
            case '+':
                result = left->value + right->value;
                break;
            case '-':
                result = left->value - right->value;
                break;
            case '*':
                result = left->value * right->value;
                break;
            default:
                if (right->value == 0) {
                    return sentence_case(question) + " has no answer: you cannot divide by zero.";
                }
                result = left->value / right->value;
                break;
        }
        if (std::fabs(result) > static_cast<double>(kMaxSpokenNumber)) {
            return sentence_case(question) + " is a number too large for me to say.";
        }
        const double rounded = std::round(result * 100) / 100;
        const bool exact = std::fabs(rounded - result) < 1e-9;
        return sentence_case(question) + " is " + (exact ? "" : "about ") +
               decimal_to_words(result) + ".";
    }
    return std::nullopt;
}

// ---- time ----

std::tm system_local_time() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm local{};
    localtime_r(&now, &local);
    return local;
}

std::string time_sentence(const std::tm& t) {
    const int hour12 = t.tm_hour % 12 == 0 ? 12 : t.tm_hour % 12;
    std::string text = "It is " + number_to_words(hour12);
    if (t.tm_min == 0) {
        text += " o'clock";
    } else if (t.tm_min < 10) {
        text += " oh " + number_to_words(t.tm_min);
    } else {
        text += " " + number_to_words(t.tm_min);
    }
    if (t.tm_hour < 12) {
        text += " in the morning.";
    } else if (t.tm_hour < 18) {
        text += " in the afternoon.";
    } else {
        text += " in the evening.";
    }
    return text;
}

std::string date_sentence(const std::tm& t) {
    return "Today is " + std::string(kWeekdays.at(static_cast<std::size_t>(t.tm_wday % 7))) +
           ", the " + ordinal_to_words(t.tm_mday) + " of " +
           std::string(kMonths.at(static_cast<std::size_t>(t.tm_mon % 12))) + ", " +
           year_to_words(t.tm_year + 1900) + ".";
}

std::optional<std::string> greeting(Words words) {
    if (words.empty())
        return std::nullopt;
    static constexpr std::array<std::string_view, 6> kHello{"hello", "hi",    "hey",
                                                            "hiya",  "howdy", "greetings"};
    if (contains(kHello, words[0]))
        return std::string("Hello! How can I help you today?");
    if (words[0] == "good" && words.size() > 1 &&
        (words[1] == "morning" || words[1] == "afternoon" || words[1] == "evening")) {
        return "Good " + words[1] + "! How can I help you today?";
    }
    return std::nullopt;
}

}  // namespace

// ---- public helpers ----

std::span<const std::string_view> builtin_story() {
    return kStory;
}

std::vector<std::string> utterance_words(std::string_view text) {
    std::vector<std::string> words;
    std::string word;
    const auto flush = [&] {
        // A trailing '.' or ',' is punctuation, not part of a number.
        while (!word.empty() && (word.back() == '.' || word.back() == ',')) word.pop_back();
        if (!word.empty())
            words.push_back(std::move(word));
        word.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto ch = static_cast<unsigned char>(text[i]);
        const bool next_digit =
            i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1]));
        const bool in_number =
            !word.empty() && std::isdigit(static_cast<unsigned char>(word.back()));
        if (std::isalnum(ch) || ch == '\'') {
            word += static_cast<char>(std::tolower(ch));
        } else if ((ch == '.' || ch == ',') && in_number && next_digit) {
            word += static_cast<char>(ch);
        } else if (ch == '-' && word.empty() && next_digit) {
            word += '-';
        } else if (ch == '+' || ch == '*' || ch == '/' || ch == '-') {
            flush();
            words.emplace_back(1, static_cast<char>(ch));
        } else {
            flush();
        }
    }
    flush();
    return words;
}

std::vector<std::string> identifier_words(std::string_view name) {
    std::vector<std::string> words;
    std::string word;
    const auto flush = [&] {
        if (!word.empty())
            words.push_back(std::move(word));
        word.clear();
    };
    for (std::size_t i = 0; i < name.size(); ++i) {
        const auto ch = static_cast<unsigned char>(name[i]);
        if (!std::isalnum(ch)) {
            flush();
            continue;
        }
        if (!word.empty()) {
            const auto prev = static_cast<unsigned char>(name[i - 1]);
            const bool next_lower =
                i + 1 < name.size() && std::islower(static_cast<unsigned char>(name[i + 1]));
            const bool lower_to_upper =
                std::isupper(ch) && (std::islower(prev) || std::isdigit(prev));
            const bool acronym_end = std::isupper(ch) && std::isupper(prev) && next_lower;
            const bool digit_edge = (std::isdigit(ch) != 0) != (std::isdigit(prev) != 0);
            if (lower_to_upper || acronym_end || digit_edge)
                flush();
        }
        word += static_cast<char>(std::tolower(ch));
    }
    flush();
    return words;
}

const ToolDeclaration* match_tool(std::span<const ToolDeclaration> tools, Words words) {
    const ToolDeclaration* best = nullptr;
    std::size_t best_size = 0;
    for (const auto& tool : tools) {
        const auto name = identifier_words(tool.name);
        if (name.empty())
            continue;
        const bool all = std::all_of(name.begin(), name.end(),
                                     [&](const std::string& w) { return has_word(words, w); });
        if (all && name.size() > best_size) {
            best = &tool;
            best_size = name.size();
        }
    }
    return best;
}

Json fill_tool_args(const ToolDeclaration& tool, Words words) {
    Json args = Json::object();
    if (!tool.parameters.is_object() || !tool.parameters.contains("properties") ||
        !tool.parameters["properties"].is_object()) {
        return args;
    }
    const auto& properties = tool.parameters["properties"];
    const auto tool_words = identifier_words(tool.name);
    std::size_t fillable = 0;
    std::vector<std::string> property_words;  // a value ends where another name begins
    for (const auto& [name, schema] : properties.items()) {
        if (is_fillable(schema))
            ++fillable;
        for (auto& w : identifier_words(name)) property_words.push_back(std::move(w));
    }
    for (const auto& [name, schema] : properties.items()) {
        if (!is_fillable(schema))
            continue;
        const auto name_words = identifier_words(name);
        Json value = nullptr;
        // 1. enum
        if (schema.is_object() && schema.contains("enum") && schema["enum"].is_array()) {
            for (const auto& option : schema["enum"]) {
                if (!option.is_string())
                    continue;
                const auto option_words = utterance_words(option.get<std::string>());
                if (!option_words.empty() &&
                    std::all_of(option_words.begin(), option_words.end(),
                                [&](const std::string& w) { return has_word(words, w); })) {
                    value = option;
                    break;
                }
            }
        }
        // 2. the parameter's name is said, then its value
        const bool name_said =
            !name_words.empty() &&
            std::all_of(name_words.begin(), name_words.end(),
                        [&](const std::string& w) { return has_word(words, w); }) &&
            !std::all_of(name_words.begin(), name_words.end(),
                         [&](const std::string& w) { return contains(tool_words, w); });
        if (value.is_null() && name_said) {
            value =
                value_for(schema, words, last_index(words, name_words.back()) + 1, property_words);
        }
        // 3. location-like: after the last place preposition
        const bool location_like =
            std::any_of(name_words.begin(), name_words.end(),
                        [](const std::string& w) { return contains(kLocationWords, w); });
        if (value.is_null() && location_like) {
            std::size_t after = std::string::npos;
            for (std::size_t i = 0; i < words.size(); ++i) {
                if (contains(kPlacePrepositions, words[i]))
                    after = i + 1;
            }
            if (after != std::string::npos)
                value = value_for(schema, words, after, property_words);
        }
        // 4. the only parameter: what follows the tool's name
        if (value.is_null() && fillable == 1) {
            std::size_t after = 0;
            for (const auto& w : tool_words) {
                const auto at = last_index(words, w);
                if (at != std::string::npos)
                    after = std::max(after, at + 1);
            }
            while (after < words.size() && contains(kLeadingFillers, words[after])) ++after;
            value = value_for(schema, words, after, property_words);
        }
        if (!value.is_null())
            args[name] = std::move(value);
    }
    return args;
}

// ---- BuiltinBrain ----

BuiltinBrain::BuiltinBrain(BuiltinBrainOptions options) : options_(std::move(options)) {
    if (!options_.local_time)
        options_.local_time = system_local_time;
}

std::vector<std::string> BuiltinBrain::compose(const BrainRequest& request,
                                               std::optional<ToolCall>& call) {
    call.reset();
    const auto& history = request.history;
    // Tool responses that end the history: speak their results.
    std::size_t first_response = history.size();
    while (first_response > 0 &&
           history[first_response - 1].role == HistoryEntry::Role::kToolResponse) {
        --first_response;
    }
    if (first_response < history.size()) {
        std::vector<std::string> sentences;
        for (std::size_t i = first_response; i < history.size(); ++i) {
            sentences.push_back(tool_result_sentence(history[i]));
        }
        return sentences;
    }

    std::string text;
    if (!history.empty() && history.back().role == HistoryEntry::Role::kUser) {
        text = history.back().text;
    }
    const auto words = utterance_words(text);
    const Words all(words);
    if (words.empty())
        return {"Sorry, I did not hear anything. Could you say that again?"};

    // "say ..." / "repeat after me ..."
    std::size_t echo_from = std::string::npos;
    if (words[0] == "say")
        echo_from = 1;
    if (words.size() > 1 && words[0] == "please" && words[1] == "say")
        echo_from = 2;
    if (words[0] == "repeat") {
        echo_from = (words.size() > 2 && words[1] == "after" && words[2] == "me") ? 3 : 1;
    }
    if (echo_from != std::string::npos) {
        if (echo_from >= words.size())
            return {"What should I say?"};
        return {sentence_case(join(all, echo_from, words.size())) + "."};
    }

    // "what did I say (before)" / "what did you say (before)": the conversation's memory, which
    // after a barge-in holds only what the user heard.
    if (has_word(all, "what") && has_word(all, "did") && has_word(all, "say")) {
        const bool mine = has_word(all, "i");
        const auto role = mine ? HistoryEntry::Role::kUser : HistoryEntry::Role::kModel;
        // The current question is the last entry; look before it.
        for (auto it = history.rbegin() + 1; it < history.rend(); ++it) {
            if (it->role == role && !it->text.empty()) {
                return {(mine ? "You said: " : "I said: ") + it->text};
            }
        }
        return {mine ? "You have not said anything before." : "I have not said anything yet."};
    }

    if (const ToolDeclaration* tool = match_tool(request.tools, all)) {
        ToolCall made;
        made.id = "function-call-" + std::to_string(next_call_id_.fetch_add(1));
        made.name = tool->name;
        made.args = fill_tool_args(*tool, all);
        call = std::move(made);
        return {};
    }

    if (auto answer = arithmetic_answer(all))
        return {*answer};

    if (has_word(all, "story"))
        return {kStory.begin(), kStory.end()};

    const bool asks = has_word(all, "what") || has_word(all, "tell") || has_word(all, "whats") ||
                      has_word(all, "what's");
    const bool wants_time = has_word(all, "time");
    const bool wants_date =
        has_word(all, "date") || (asks && (has_word(all, "day") || has_word(all, "today")));
    if (wants_time || wants_date) {
        const std::tm now = options_.local_time();
        std::vector<std::string> sentences;
        if (wants_time)
            sentences.push_back(time_sentence(now));
        if (wants_date)
            sentences.push_back(date_sentence(now));
        return sentences;
    }

    if (auto hello = greeting(all))
        return {*hello};

    return {"You said: " + join(all, 0, words.size()) + "."};
}

Status BuiltinBrain::reply(const BrainRequest& request, BrainSink& sink,
                           const std::atomic<bool>& cancelled) {
    std::optional<ToolCall> call;
    const auto sentences = compose(request, call);
    for (std::size_t i = 0; i < sentences.size(); ++i) {
        if (cancelled.load())
            return fail(EngineError::kCancelled);
        sink.on_text(i == 0 ? sentences[i] : " " + sentences[i]);
    }
    if (call) {
        if (cancelled.load())
            return fail(EngineError::kCancelled);
        sink.on_tool_call(std::move(*call));
    }
    return {};
}

}  // namespace parley::server

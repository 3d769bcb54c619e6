// SPDX-License-Identifier: Apache-2.0
// BuiltinBrain: the local server's default Brain, deterministic rules and no model. It answers
// what pocketsphinx writes (lower-case words, no punctuation) and typed text alike: greetings,
// the local time and date, spoken arithmetic, a long story (to try barge-in), "say ..." /
// "repeat after me ...", declared tools, and "You said: ..." for the rest. Replies are in words
// (numbers too) so flite reads them and pocketsphinx recognises them back. Work context;
// reply() is thread-safe (the only shared state is the tool-call counter, atomic).
//
// Rules, first match wins, on the newest history entry:
//  - tool responses at the end of the history: "The <tool name words> result is <values>."
//    (leaf values of each response in order; numbers in words);
//  - "say X" / "please say X" / "repeat after me X" / "repeat X": "X.";
//  - a declared tool whose name's words (split at '_', '-', digits and camelCase, no case) all
//    occur among the words: a ToolCall "function-call-<n>" with arguments (see fill_tool_args);
//  - "<number> plus|minus|times|x|multiplied by|divided by|over <number>" anywhere:
//    "Twelve times seven is eighty four.";
//  - "story": a story of about a minute; "time" / "date", "what day", "today": the local time or
//    date; "hello", "hi", "hey", "good morning" ...: a greeting;
//  - otherwise "You said: <words>." (or a request to repeat when nothing was heard).
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/brain.hpp"

namespace parley::server {

// The sentences of the story the brain tells (about a minute of speech with flite).
[[nodiscard]] std::span<const std::string_view> builtin_story();

// Lower-case words of an utterance or a typed text: punctuation dropped, except inside numbers
// ("3.5", "1,000", "-4"); "+", "*", "/" and a lone "-" become words of their own.
[[nodiscard]] std::vector<std::string> utterance_words(std::string_view text);

// The words of an identifier, lower case: "get_weather" and "getWeather" -> {"get","weather"},
// "getHTTPStatus2" -> {"get","http","status","2"}.
[[nodiscard]] std::vector<std::string> identifier_words(std::string_view name);

// The declared tool whose name's words all occur in `words`; when several match, the one with
// the most name words, then the first declared. nullptr when none does.
[[nodiscard]] const ToolDeclaration* match_tool(std::span<const ToolDeclaration> tools,
                                                std::span<const std::string> words);

// Arguments for `tool` taken from the user's words. For each property of its parameter schema
// (string, number, integer, or untyped; in schema order), the first rule that gives a value:
//  1. "enum": the first allowed value whose words all occur in the utterance;
//  2. the property's name words occur (not all of them also tool-name words): the words right
//     after the last one, up to "and"/"please"/"with"/"then" or another property's name, at
//     most four;
//  3. a location-like name (location, city, place, destination, country, address, town,
//     region, area, where, origin): the words after the last "in"/"for"/"to"/"at"/"from";
//  4. the tool's only property: the words after the tool-name words, minus a leading
//     preposition or article.
// Numbers become JSON numbers for number/integer properties (skipped if none is found there).
// Properties no rule fills are left out.
[[nodiscard]] nlohmann::ordered_json fill_tool_args(const ToolDeclaration& tool,
                                                    std::span<const std::string> words);

struct BuiltinBrainOptions {
    // The local wall-clock time; the default reads the system clock and time zone. Tests
    // inject a fixed time. Called on the reply() thread.
    std::function<std::tm()> local_time;
};

class BuiltinBrain final : public Brain {
public:
    explicit BuiltinBrain(BuiltinBrainOptions options = {});

    [[nodiscard]] Status reply(const BrainRequest& request, BrainSink& sink,
                               const std::atomic<bool>& cancelled) override;

    // The reply text for `request` as sentences, without calling a sink; empty when the reply
    // is a tool call (then `call` is set). Used by reply() and by tests.
    [[nodiscard]] std::vector<std::string> compose(const BrainRequest& request,
                                                   std::optional<ToolCall>& call);

private:
    BuiltinBrainOptions options_;
    std::atomic<std::uint64_t> next_call_id_{1};
};

}  // namespace parley::server

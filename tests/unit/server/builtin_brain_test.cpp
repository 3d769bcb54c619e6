// SPDX-License-Identifier: Apache-2.0
#include "server/builtin_brain.hpp"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "server/engine_error.hpp"

namespace parley::server {
namespace {

using Json = nlohmann::ordered_json;

// Tuesday 25 November 2025, 15:05.
std::tm fixed_time() {
    std::tm t{};
    t.tm_year = 2025 - 1900;
    t.tm_mon = 10;
    t.tm_mday = 25;
    t.tm_wday = 2;
    t.tm_hour = 15;
    t.tm_min = 5;
    return t;
}

class RecordingSink final : public BrainSink {
public:
    void on_text(std::string_view chunk) override {
        text += chunk;
        ++chunks;
    }
    void on_tool_call(ToolCall call) override { calls.push_back(std::move(call)); }
    std::string text;
    int chunks = 0;
    std::vector<ToolCall> calls;
};

BrainRequest user_says(std::string text, std::vector<ToolDeclaration> tools = {}) {
    BrainRequest request;
    request.history.push_back(HistoryEntry::user(std::move(text)));
    request.tools = std::move(tools);
    return request;
}

std::string reply_text(BuiltinBrain& brain, const BrainRequest& request) {
    RecordingSink sink;
    std::atomic<bool> cancelled{false};
    EXPECT_TRUE(brain.reply(request, sink, cancelled));
    EXPECT_TRUE(sink.calls.empty());
    return sink.text;
}

ToolDeclaration tool(std::string name, Json parameters = nullptr) {
    return {.name = std::move(name), .description = "", .parameters = std::move(parameters)};
}

Json string_params(std::initializer_list<const char*> names) {
    Json params = {{"type", "object"}, {"properties", Json::object()}};
    for (const char* name : names) params["properties"][name] = {{"type", "string"}};
    return params;
}

struct ReplyCase {
    const char* heard;
    const char* reply;
};

// What pocketsphinx writes, and typed text, with the reply expected word for word.
const ReplyCase kReplies[] = {
    {"what is twelve times seven", "Twelve times seven is eighty four."},
    {"one is twelve times seven", "Twelve times seven is eighty four."},  // a misheard "what"
    {"what is five plus three", "Five plus three is eight."},
    {"what is ten minus twenty", "Ten minus twenty is minus ten."},
    {"what is six multiplied by seven", "Six times seven is forty two."},
    {"what is one hundred and five divided by three",
     "One hundred five divided by three is thirty five."},
    {"what is ten divided by four", "Ten divided by four is two point five."},
    {"what is ten divided by three", "Ten divided by three is about three point three three."},
    {"what is seven divided by zero",
     "Seven divided by zero has no answer: you cannot divide by zero."},
    {"what is two million three hundred thousand plus one",
     "Two million three hundred thousand plus one is two million three hundred thousand one."},
    {"What is 12 * 7?", "Twelve times seven is eighty four."},
    {"what's 3.5 plus 1.25", "Three point five plus one point two five is four point seven five."},
    {"hello", "Hello! How can I help you today?"},
    {"hello there", "Hello! How can I help you today?"},
    {"Hi!", "Hello! How can I help you today?"},
    {"good morning", "Good morning! How can I help you today?"},
    {"what time is it", "It is three oh five in the afternoon."},
    {"what is the date", "Today is Tuesday, the twenty fifth of November, twenty twenty five."},
    {"what day is it today", "Today is Tuesday, the twenty fifth of November, twenty twenty five."},
    {"say the quick brown fox", "The quick brown fox."},
    {"Say: hello world!", "Hello world."},
    {"repeat after me i like trains", "I like trains."},
    {"please say good night", "Good night."},
    {"say", "What should I say?"},
    {"the weather is nice", "You said: the weather is nice."},
    {"", "Sorry, I did not hear anything. Could you say that again?"},
};

TEST(BuiltinBrain, RepliesByRule) {
    BuiltinBrain brain({.local_time = fixed_time});
    for (const auto& c : kReplies) {
        SCOPED_TRACE(c.heard);
        EXPECT_EQ(reply_text(brain, user_says(c.heard)), c.reply);
    }
}

TEST(BuiltinBrain, RemembersWhatWasSaid) {
    BuiltinBrain brain({.local_time = fixed_time});
    BrainRequest request;
    request.history = {HistoryEntry::user("say purple elephants"),
                       HistoryEntry::model("Purple elephants."),
                       HistoryEntry::user("what did i say before")};
    EXPECT_EQ(reply_text(brain, request), "You said: say purple elephants");
    request.history.back() = HistoryEntry::user("what did you say");
    EXPECT_EQ(reply_text(brain, request), "I said: Purple elephants.");
    EXPECT_EQ(reply_text(brain, user_says("what did i say")), "You have not said anything before.");
    EXPECT_EQ(reply_text(brain, user_says("what did you say")), "I have not said anything yet.");
}

TEST(BuiltinBrain, TimeOfDayWording) {
    auto at = [](int hour, int minute) {
        return [=] {
            std::tm t = fixed_time();
            t.tm_hour = hour;
            t.tm_min = minute;
            return t;
        };
    };
    BuiltinBrain morning({.local_time = at(0, 0)});
    EXPECT_EQ(reply_text(morning, user_says("what time is it")),
              "It is twelve o'clock in the morning.");
    BuiltinBrain evening({.local_time = at(21, 45)});
    EXPECT_EQ(reply_text(evening, user_says("tell me the time")),
              "It is nine forty five in the evening.");
}

TEST(BuiltinBrain, StoryIsLongAndStreamedBySentence) {
    BuiltinBrain brain;
    RecordingSink sink;
    std::atomic<bool> cancelled{false};
    ASSERT_TRUE(brain.reply(user_says("tell me a story"), sink, cancelled));
    EXPECT_GE(sink.chunks, 10);
    EXPECT_GE(utterance_words(sink.text).size(), 150u);
    EXPECT_EQ(sink.text.substr(0, 16), "Once upon a time");
}

TEST(BuiltinBrain, CancelledReplyStopsAndSaysSo) {
    BuiltinBrain brain;
    RecordingSink sink;
    std::atomic<bool> cancelled{true};
    const auto status = brain.reply(user_says("tell me a story"), sink, cancelled);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error(), EngineError::kCancelled);
    EXPECT_TRUE(sink.text.empty());
}

TEST(IdentifierWords, SplitsSnakeCamelAndAcronyms) {
    using V = std::vector<std::string>;
    EXPECT_EQ(identifier_words("get_weather"), (V{"get", "weather"}));
    EXPECT_EQ(identifier_words("getWeather"), (V{"get", "weather"}));
    EXPECT_EQ(identifier_words("GetCurrentWeather"), (V{"get", "current", "weather"}));
    EXPECT_EQ(identifier_words("getHTTPStatus2"), (V{"get", "http", "status", "2"}));
    EXPECT_EQ(identifier_words("turn-on_the_LIGHTS"), (V{"turn", "on", "the", "lights"}));
    EXPECT_EQ(identifier_words("x"), (V{"x"}));
    EXPECT_TRUE(identifier_words("__").empty());
}

TEST(MatchTool, NeedsEveryNameWord) {
    const std::vector<ToolDeclaration> tools = {tool("get_weather"), tool("turnOnTheLights"),
                                                tool("set_alarm"), tool("getCurrentWeather")};
    struct Case {
        const char* heard;
        const char* tool;  // nullptr: no call
    };
    const Case cases[] = {
        {"get weather in paris", "get_weather"},
        {"please GET the WEATHER", "get_weather"},
        {"get the current weather", "getCurrentWeather"},  // the most specific match
        {"turn on the lights", "turnOnTheLights"},
        {"set an alarm", "set_alarm"},
        {"what is the weather", nullptr},  // no "get"
        {"turn the lights", nullptr},      // no "on"
        {"getting weather", nullptr},      // whole words only
        {"set alarms", nullptr},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.heard);
        const auto words = utterance_words(c.heard);
        const ToolDeclaration* found = match_tool(tools, words);
        if (c.tool == nullptr) {
            EXPECT_EQ(found, nullptr);
        } else {
            ASSERT_NE(found, nullptr);
            EXPECT_EQ(found->name, c.tool);
        }
    }
}

TEST(FillToolArgs, Rules) {
    struct Case {
        ToolDeclaration tool;
        const char* heard;
        Json args;
    };
    Json enum_params = {{"type", "object"},
                        {"properties",
                         {{"unit", {{"type", "string"}, {"enum", {"celsius", "fahrenheit"}}}},
                          {"city", {{"type", "string"}}}}}};
    Json number_params = {
        {"type", "object"},
        {"properties", {{"hours", {{"type", "integer"}}}, {"label", {{"type", "string"}}}}}};
    const Case cases[] = {
        // rule 3: location-like parameter after in/for/to/at/from
        {tool("get_weather", string_params({"location"})),
         "get weather in new york",
         {{"location", "new york"}}},
        {tool("get_weather", string_params({"city"})),
         "get weather for paris please",
         {{"city", "paris"}}},
        // rule 2: the parameter's name is said, then the value
        {tool("send_message", string_params({"recipient", "text"})),
         "send message recipient alice text hello bob",
         {{"recipient", "alice"}, {"text", "hello bob"}}},
        // rule 1: enum value said; rule 3 for the city
        {tool("get_weather", enum_params),
         "get weather fahrenheit in rome",
         {{"unit", "fahrenheit"}, {"city", "rome"}}},
        // numbers become JSON numbers for integer parameters
        {tool("set_timer", number_params),
         "set timer hours two label tea",
         {{"hours", 2}, {"label", "tea"}}},
        // rule 4: the only parameter takes what follows the tool's name
        {tool("search_music", string_params({"query"})),
         "search music for jazz piano",
         {{"query", "jazz piano"}}},
        // nothing to fill
        {tool("get_weather", string_params({"location"})), "get weather", Json::object()},
        {tool("stop_music"), "stop music now", Json::object()},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.heard);
        EXPECT_EQ(fill_tool_args(c.tool, utterance_words(c.heard)), c.args);
    }
}

TEST(BuiltinBrain, CallsADeclaredToolWithFreshIds) {
    BuiltinBrain brain;
    const std::vector<ToolDeclaration> tools = {tool("get_weather", string_params({"location"}))};
    std::set<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        RecordingSink sink;
        std::atomic<bool> cancelled{false};
        ASSERT_TRUE(brain.reply(user_says("get weather in paris", tools), sink, cancelled));
        EXPECT_TRUE(sink.text.empty());
        ASSERT_EQ(sink.calls.size(), 1u);
        EXPECT_EQ(sink.calls[0].name, "get_weather");
        EXPECT_EQ(sink.calls[0].args, (Json{{"location", "paris"}}));
        EXPECT_EQ(sink.calls[0].id.rfind("function-call-", 0), 0u) << sink.calls[0].id;
        ids.insert(sink.calls[0].id);
    }
    EXPECT_EQ(ids.size(), 3u);
    // Without the tool the same words are just heard.
    EXPECT_EQ(reply_text(brain, user_says("get weather in paris")),
              "You said: get weather in paris.");
}

TEST(BuiltinBrain, IdsStayUniqueAcrossThreads) {
    BuiltinBrain brain;
    const std::vector<ToolDeclaration> tools = {tool("ping")};
    std::vector<std::vector<std::string>> ids(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < ids.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                RecordingSink sink;
                std::atomic<bool> cancelled{false};
                if (brain.reply(user_says("ping", tools), sink, cancelled) && !sink.calls.empty()) {
                    ids[t].push_back(sink.calls[0].id);
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    std::set<std::string> all;
    for (const auto& list : ids) all.insert(list.begin(), list.end());
    EXPECT_EQ(all.size(), 200u);
}

TEST(BuiltinBrain, SpeaksTheToolResponse) {
    BuiltinBrain brain;
    BrainRequest request =
        user_says("get weather in paris", {tool("get_weather", string_params({"location"}))});
    request.history.push_back(
        HistoryEntry::tool_call("get_weather", "function-call-1", {{"location", "paris"}}));
    request.history.push_back(
        HistoryEntry::tool_result("get_weather", "function-call-1",
                                  {{"output", {{"sky", "sunny"}, {"temperature", "21 degrees"}}}}));
    EXPECT_EQ(reply_text(brain, request), "The get weather result is sunny, 21 degrees.");

    request.history.back().tool_response = {{"temperature", 21}, {"rain", false}};
    EXPECT_EQ(reply_text(brain, request), "The get weather result is twenty one, no.");

    request.history.back().tool_response = Json::object();
    request.history.back().tool_name = "turnOnTheLights";
    EXPECT_EQ(reply_text(brain, request), "The turn on the lights call is done.");
}

TEST(BuiltinBrain, SpeaksEveryResponseOfAParallelCall) {
    BuiltinBrain brain;
    BrainRequest request;
    request.history.push_back(HistoryEntry::user("x"));
    request.history.push_back(
        HistoryEntry::tool_result("get_time", "function-call-8", {{"result", "noon"}}));
    request.history.push_back(
        HistoryEntry::tool_result("get_date", "function-call-9", {{"result", "monday"}}));
    EXPECT_EQ(reply_text(brain, request),
              "The get time result is noon. The get date result is monday.");
}

}  // namespace
}  // namespace parley::server

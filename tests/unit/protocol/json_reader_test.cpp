// SPDX-License-Identifier: Apache-2.0
// read_json against nlohmann-json's own parser on the same text: the same document, or the same
// error at the same byte, whether or not its long strings were lifted out.
#include "protocol/json_reader.hpp"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace parley::protocol {
namespace {

std::string base64_text(std::size_t n, std::mt19937& rng) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string s(n, 'A');
    for (auto& c : s) c = kAlphabet[rng() % kAlphabet.size()];
    return s;
}

// Parses `text` both ways and expects the same outcome; returns how many strings were lifted.
std::size_t expect_same_as_nlohmann(const std::string& text) {
    Json ours;
    const auto read = read_json(text, 64, ours);
    try {
        const Json theirs = Json::parse(text);
        EXPECT_EQ(read.status, JsonReadStatus::kOk) << text.substr(0, 200);
        EXPECT_EQ(ours, theirs) << text.substr(0, 200);
    } catch (const Json::parse_error& e) {
        EXPECT_EQ(read.status, JsonReadStatus::kNotJson) << text.substr(0, 200);
        EXPECT_EQ(read.error_byte, e.byte) << text.substr(0, 200);
    }
    return read.lifted;
}

TEST(JsonReaderTest, AMessageOfAudioReadsAsTheParserReadsIt) {
    std::mt19937 rng(7);
    const std::string data = base64_text(2560, rng);
    EXPECT_EQ(expect_same_as_nlohmann(
                  R"({"serverContent":{"modelTurn":{"parts":[{"inlineData":{"mimeType":)"
                  R"("audio/pcm;rate=24000","data":")" +
                  data + R"("}}]}}})"),
              1u);
    // Whitespace around the colon, and long strings in an array.
    EXPECT_EQ(expect_same_as_nlohmann("{ \"data\" :\n\t\"" + data + "\" , \"more\": [\"" + data +
                                      "\", \"" + data.substr(0, 300) + "\"] }"),
              3u);
}

TEST(JsonReaderTest, LongStringsThatAreNotPlainAsciiKeepTheParsersReading) {
    std::mt19937 rng(8);
    const std::string data = base64_text(400, rng);
    // Escapes, UTF-8 and a long key: left to the parser, read the same.
    expect_same_as_nlohmann(R"({"text":")" + data + R"(\n\"quoted\" \u00e9"})");
    expect_same_as_nlohmann(R"({"text":")" + data + "\xc3\xa9" + R"("})");
    expect_same_as_nlohmann(R"({")" + data + R"(":")" + data + R"("})");
    // Invalid inside a long string: a control character, a lone UTF-8 continuation byte.
    expect_same_as_nlohmann(R"({"text":")" + data + "\x01" + R"("})");
    expect_same_as_nlohmann(R"({"text":")" + data + "\x80" + R"("})");
}

TEST(JsonReaderTest, SyntaxErrorsAreReportedAtTheirByteInTheWholeText) {
    std::mt19937 rng(9);
    const std::string data = base64_text(1000, rng);
    expect_same_as_nlohmann(R"({"data":")" + data + R"(",})");
    expect_same_as_nlohmann(R"({"data":")" + data + R"(" "x":1})");
    expect_same_as_nlohmann(R"({"data":")" + data);
    expect_same_as_nlohmann(R"([")" + data + R"(", tru])");
}

TEST(JsonReaderTest, ARepeatedKeyReadsAsTheParserReadsIt) {
    std::mt19937 rng(10);
    const std::string a = base64_text(500, rng);
    const std::string b = base64_text(600, rng);
    expect_same_as_nlohmann(R"({"data":")" + a + R"(","data":")" + b + R"(","after":")" + a +
                            R"("})");
    expect_same_as_nlohmann(R"({"x":{"data":")" + a + R"("},"x":{"y":")" + b + R"("}})");
}

TEST(JsonReaderTest, NestingDeeperThanTheLimitIsRefusedBeforeParsing) {
    Json doc;
    EXPECT_EQ(read_json(std::string(65, '[') + std::string(65, ']'), 64, doc).status,
              JsonReadStatus::kTooDeep);
    EXPECT_EQ(read_json(std::string(64, '[') + std::string(64, ']'), 64, doc).status,
              JsonReadStatus::kOk);
    // Brackets inside strings do not count.
    EXPECT_EQ(read_json(R"({"a":")" + std::string(300, '[') + R"("})", 64, doc).status,
              JsonReadStatus::kOk);
}

// Random documents: nested objects and arrays of short and long strings (plain, escaped,
// non-ASCII), numbers and literals, sometimes with a repeated key, written with random
// whitespace.
class RandomJson {
public:
    explicit RandomJson(unsigned seed) : rng_(seed) {}

    std::string document() {
        std::string out;
        value(out, 0);
        return out;
    }

private:
    void space(std::string& out) {
        static constexpr std::string_view kSpace[] = {"", " ", "\n", "\t ", "\r\n"};
        out += kSpace[rng_() % 5];
    }
    void string(std::string& out) {
        out += '"';
        const std::size_t n = rng_() % 4 == 0 ? rng_() % 800 : rng_() % 12;
        out += base64_text(n, rng_);
        switch (rng_() % 8) {
            case 0:
                out += "\\\"\\\\";
                break;
            case 1:
                out += "\xe2\x82\xac";
                break;
            default:
                break;
        }
        out += '"';
    }
    void value(std::string& out, int depth) {
        const auto kind = depth > 4 ? 2 + rng_() % 3 : rng_() % 5;
        if (kind == 0) {
            out += '{';
            const std::size_t n = rng_() % 4;
            for (std::size_t i = 0; i < n; ++i) {
                if (i > 0)
                    out += ',';
                space(out);
                if (rng_() % 6 == 0)
                    out += "\"k\"";  // repeated now and then
                else
                    string(out);
                space(out);
                out += ':';
                space(out);
                value(out, depth + 1);
            }
            out += '}';
        } else if (kind == 1) {
            out += '[';
            const std::size_t n = rng_() % 4;
            for (std::size_t i = 0; i < n; ++i) {
                if (i > 0)
                    out += ',';
                space(out);
                value(out, depth + 1);
            }
            out += ']';
        } else if (kind == 2 || kind == 3) {
            string(out);
        } else {
            static constexpr std::string_view kOther[] = {"12", "-3.5e2", "true", "null"};
            out += kOther[rng_() % 4];
        }
        space(out);
    }

    std::mt19937 rng_;
};

TEST(JsonReaderTest, RandomDocumentsReadAsTheParserReadsThem) {
    RandomJson random(11);
    std::size_t lifted = 0;
    for (int i = 0; i < 500; ++i) {
        std::string text = random.document();
        lifted += expect_same_as_nlohmann(text);
        // ... and with one byte cut off the end or changed.
        if (text.size() > 1) {
            expect_same_as_nlohmann(text.substr(0, text.size() - 1));
            text[text.size() / 2] = ',';
            expect_same_as_nlohmann(text);
        }
    }
    EXPECT_GT(lifted, 20u) << "the documents should have had long plain strings to lift";
}

}  // namespace
}  // namespace parley::protocol

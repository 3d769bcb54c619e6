// SPDX-License-Identifier: Apache-2.0
#include "server/number_words.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/builtin_brain.hpp"

namespace parley::server {
namespace {

std::optional<ParsedNumber> parse(std::string_view text) {
    const auto words = utterance_words(text);
    return parse_number(words);
}

TEST(NumberWords, ToWords) {
    const std::pair<std::int64_t, const char*> cases[] = {
        {0, "zero"},
        {7, "seven"},
        {13, "thirteen"},
        {20, "twenty"},
        {84, "eighty four"},
        {100, "one hundred"},
        {105, "one hundred five"},
        {999, "nine hundred ninety nine"},
        {1000, "one thousand"},
        {1001, "one thousand one"},
        {12345, "twelve thousand three hundred forty five"},
        {2300000, "two million three hundred thousand"},
        {1000000000, "one billion"},
        {-7, "minus seven"},
        {kMaxSpokenNumber,
         "nine hundred ninety nine trillion nine hundred ninety nine billion nine hundred ninety "
         "nine million nine hundred ninety nine thousand nine hundred ninety nine"},
    };
    for (const auto& [n, words] : cases) EXPECT_EQ(number_to_words(n), words) << n;
}

TEST(NumberWords, Decimals) {
    EXPECT_EQ(decimal_to_words(2.5), "two point five");
    EXPECT_EQ(decimal_to_words(3.333333), "three point three three");
    EXPECT_EQ(decimal_to_words(0.05), "zero point zero five");
    EXPECT_EQ(decimal_to_words(-1.25), "minus one point two five");
    EXPECT_EQ(decimal_to_words(42.0), "forty two");
    EXPECT_EQ(decimal_to_words(-0.001), "zero");
}

TEST(NumberWords, OrdinalsAndYears) {
    EXPECT_EQ(ordinal_to_words(1), "first");
    EXPECT_EQ(ordinal_to_words(12), "twelfth");
    EXPECT_EQ(ordinal_to_words(20), "twentieth");
    EXPECT_EQ(ordinal_to_words(25), "twenty fifth");
    EXPECT_EQ(ordinal_to_words(31), "thirty first");
    EXPECT_EQ(year_to_words(2025), "twenty twenty five");
    EXPECT_EQ(year_to_words(2005), "two thousand five");
    EXPECT_EQ(year_to_words(1984), "nineteen eighty four");
    EXPECT_EQ(year_to_words(1900), "nineteen hundred");
    EXPECT_EQ(year_to_words(1905), "nineteen oh five");
}

TEST(NumberWords, ParsesWords) {
    const std::pair<const char*, double> cases[] = {
        {"zero", 0},
        {"seven", 7},
        {"twelve", 12},
        {"eighty four", 84},
        {"one hundred and five", 105},
        {"one hundred five", 105},
        {"a hundred", 100},
        {"twenty five hundred", 2500},
        {"three thousand and twelve", 3012},
        {"two million three hundred thousand", 2300000},
        {"one billion two hundred million", 1200000000},
        {"three point one four", 3.14},
        {"negative four", -4},
        {"12", 12},
        {"3.5", 3.5},
        {"1,000", 1000},
        {"-4", -4},
    };
    for (const auto& [text, value] : cases) {
        SCOPED_TRACE(text);
        const auto parsed = parse(text);
        ASSERT_TRUE(parsed.has_value());
        EXPECT_DOUBLE_EQ(parsed->value, value);
        EXPECT_EQ(parsed->words_used, utterance_words(text).size());
    }
}

TEST(NumberWords, StopsWhereTheNumberEnds) {
    auto parsed = parse("twelve times seven");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->value, 12);
    EXPECT_EQ(parsed->words_used, 1u);

    parsed = parse("one hundred and five divided by three");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->value, 105);
    EXPECT_EQ(parsed->words_used, 4u);

    parsed = parse("seven and then");  // "and" belongs to the number only before a number word
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->words_used, 1u);

    parsed = parse("two three");  // two numbers, not twenty three
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->value, 2);
}

TEST(NumberWords, RejectsNonNumbers) {
    EXPECT_FALSE(parse("hello"));
    EXPECT_FALSE(parse("a story"));
    EXPECT_FALSE(parse("hundred"));
    EXPECT_FALSE(parse("thousand"));
    EXPECT_FALSE(parse("and five"));
    EXPECT_FALSE(parse("point five"));
    EXPECT_FALSE(parse(""));
}

TEST(NumberWords, RoundTrips) {
    for (std::int64_t n : {0LL, 1LL, 19LL, 21LL, 99LL, 100LL, 110LL, 999LL, 1000LL, 4321LL, 70007LL,
                           123456789LL, 1000000001LL, 987654321012345LL}) {
        SCOPED_TRACE(n);
        const auto words = utterance_words(number_to_words(n));
        const auto parsed = parse_number(words);
        ASSERT_TRUE(parsed);
        EXPECT_EQ(parsed->value, static_cast<double>(n));
        EXPECT_EQ(parsed->words_used, words.size());
    }
}

}  // namespace
}  // namespace parley::server

// SPDX-License-Identifier: Apache-2.0
// Numbers as English words, both ways, for the built-in brain: it reads numbers the way
// pocketsphinx writes them ("twelve", "one hundred and five", "3.5") and answers in words that
// flite reads and pocketsphinx recognises back ("eighty four"). Pure functions; any context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace parley::server {

// Largest magnitude the functions below handle (just under a quadrillion).
inline constexpr std::int64_t kMaxSpokenNumber = 999'999'999'999'999;

// "zero", "eighty four", "one hundred five", "two million three hundred thousand",
// "minus seven". Precondition: |n| <= kMaxSpokenNumber (larger values are clamped).
[[nodiscard]] std::string number_to_words(std::int64_t n);

// A value rounded to at most `max_decimals` places, in words: "two point five",
// "minus zero point one two". Integers read as number_to_words().
[[nodiscard]] std::string decimal_to_words(double value, int max_decimals = 2);

// "first", "second", ..., "thirty first": 1..99 (used for dates).
[[nodiscard]] std::string ordinal_to_words(int n);

// A year as people say it: 1984 "nineteen eighty four", 2005 "two thousand five",
// 2025 "twenty twenty five", 1900 "nineteen hundred".
[[nodiscard]] std::string year_to_words(int year);

struct ParsedNumber {
    double value = 0;
    std::size_t words_used = 0;  // >= 1
};

// Reads the number that starts at words[0], as long as the words go on forming one:
// digits ("12", "3.5", "1,000", "-4"), or words up to the hundreds of trillions with an
// optional "a" ("a hundred"), "and" ("one hundred and five"), "negative", and "point"
// followed by digit words ("three point one four"). Words must be lower case.
// nullopt when words[0] does not start a number.
[[nodiscard]] std::optional<ParsedNumber> parse_number(std::span<const std::string> words);

}  // namespace parley::server

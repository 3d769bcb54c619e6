// SPDX-License-Identifier: Apache-2.0
#include "server/number_words.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace parley::server {
namespace {

constexpr std::array<std::string_view, 20> kSmall{
    "zero",     "one",     "two",     "three",     "four",     "five",    "six",
    "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",  "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
constexpr std::array<std::string_view, 10> kTens{"",      "",      "twenty",  "thirty", "forty",
                                                 "fifty", "sixty", "seventy", "eighty", "ninety"};
struct Scale {
    std::string_view word;
    std::int64_t value;
};
constexpr std::array<Scale, 4> kScales{{{"trillion", 1'000'000'000'000},
                                        {"billion", 1'000'000'000},
                                        {"million", 1'000'000},
                                        {"thousand", 1'000}}};

void append_word(std::string& out, std::string_view word) {
    if (!out.empty())
        out += ' ';
    out += word;
}

// 1..999
void append_below_thousand(std::string& out, int n) {
    if (n >= 100) {
        append_word(out, kSmall[static_cast<std::size_t>(n / 100)]);
        append_word(out, "hundred");
        n %= 100;
    }
    if (n >= 20) {
        append_word(out, kTens[static_cast<std::size_t>(n / 10)]);
        n %= 10;
        if (n > 0)
            append_word(out, kSmall[static_cast<std::size_t>(n)]);
    } else if (n > 0) {
        append_word(out, kSmall[static_cast<std::size_t>(n)]);
    }
}

std::optional<int> small_value(std::string_view word) {
    const auto it = std::find(kSmall.begin(), kSmall.end(), word);
    if (it == kSmall.end())
        return std::nullopt;
    return static_cast<int>(it - kSmall.begin());
}

std::optional<int> tens_value(std::string_view word) {
    const auto it = std::find(kTens.begin() + 2, kTens.end(), word);
    if (it == kTens.end())
        return std::nullopt;
    return static_cast<int>(it - kTens.begin()) * 10;
}

std::optional<std::int64_t> scale_value(std::string_view word) {
    for (const auto& scale : kScales) {
        if (scale.word == word)
            return scale.value;
    }
    return std::nullopt;
}

std::optional<int> digit_word(std::string_view word) {
    if (word == "oh")
        return 0;
    const auto value = small_value(word);
    if (value && *value <= 9)
        return value;
    return std::nullopt;
}

bool is_number_word(std::string_view word) {
    return small_value(word) || tens_value(word) || scale_value(word) || word == "hundred";
}

std::optional<ParsedNumber> parse_digits(const std::string& word) {
    std::string clean;
    for (const char ch : word) {
        if (ch != ',')
            clean += ch;
    }
    if (clean.empty())
        return std::nullopt;
    const char* begin = clean.c_str();
    const bool digit_start = std::isdigit(static_cast<unsigned char>(begin[0])) ||
                             ((begin[0] == '-' || begin[0] == '.') && clean.size() > 1 &&
                              std::isdigit(static_cast<unsigned char>(begin[1])));
    if (!digit_start)
        return std::nullopt;
    char* end = nullptr;
    const double value = std::strtod(begin, &end);
    if (end == begin || std::isnan(value) || std::isinf(value))
        return std::nullopt;
    // Allow a trailing sentence period ("7.") but nothing else.
    const std::string_view rest(end);
    if (!rest.empty() && rest != ".")
        return std::nullopt;
    return ParsedNumber{value, 1};
}

}  // namespace

std::string number_to_words(std::int64_t n) {
    n = std::clamp(n, -kMaxSpokenNumber, kMaxSpokenNumber);
    if (n == 0)
        return "zero";
    std::string out;
    if (n < 0) {
        out = "minus";
        n = -n;
    }
    for (const auto& scale : kScales) {
        if (n >= scale.value) {
            append_below_thousand(out, static_cast<int>(n / scale.value));
            append_word(out, scale.word);
            n %= scale.value;
        }
    }
    if (n > 0)
        append_below_thousand(out, static_cast<int>(n));
    return out;
}

std::string decimal_to_words(double value, int max_decimals) {
    max_decimals = std::clamp(max_decimals, 0, 6);
    const double scale = std::pow(10.0, max_decimals);
    const double limit = static_cast<double>(kMaxSpokenNumber);
    double rounded = std::round(value * scale) / scale;
    rounded = std::clamp(rounded, -limit, limit);
    const bool negative = rounded < 0;
    const double magnitude = std::fabs(rounded);
    const auto whole = static_cast<std::int64_t>(std::floor(magnitude));
    auto fraction =
        static_cast<std::int64_t>(std::llround((magnitude - static_cast<double>(whole)) * scale));
    std::string out = negative ? "minus " : "";
    out += number_to_words(whole);
    if (fraction > 0 && max_decimals > 0) {
        std::string digits = std::to_string(fraction);
        digits.insert(0, static_cast<std::size_t>(max_decimals) - digits.size(), '0');
        while (!digits.empty() && digits.back() == '0') digits.pop_back();
        out += " point";
        for (const char d : digits) {
            out += ' ';
            out += kSmall[static_cast<std::size_t>(d - '0')];
        }
    }
    if (out == "minus zero")
        return "zero";
    return out;
}

std::string ordinal_to_words(int n) {
    n = std::clamp(n, 1, 99);
    static constexpr std::array<std::string_view, 20> kOrdinalSmall{
        "zeroth",    "first",     "second",      "third",      "fourth",
        "fifth",     "sixth",     "seventh",     "eighth",     "ninth",
        "tenth",     "eleventh",  "twelfth",     "thirteenth", "fourteenth",
        "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth"};
    static constexpr std::array<std::string_view, 10> kOrdinalTens{
        "",         "",         "twentieth",  "thirtieth", "fortieth",
        "fiftieth", "sixtieth", "seventieth", "eightieth", "ninetieth"};
    if (n < 20)
        return std::string(kOrdinalSmall[static_cast<std::size_t>(n)]);
    if (n % 10 == 0)
        return std::string(kOrdinalTens[static_cast<std::size_t>(n / 10)]);
    return std::string(kTens[static_cast<std::size_t>(n / 10)]) + " " +
           std::string(kOrdinalSmall[static_cast<std::size_t>(n % 10)]);
}

std::string year_to_words(int year) {
    if (year <= 0 || year >= 10000)
        return number_to_words(year);
    const int high = year / 100;
    const int low = year % 100;
    if (high % 10 == 0 && low < 10)
        return number_to_words(year);  // 2005, 1000, 2000
    std::string out = number_to_words(high);
    if (low == 0)
        return out + " hundred";
    if (low < 10)
        return out + " oh " + number_to_words(low);
    return out + " " + number_to_words(low);
}

std::optional<ParsedNumber> parse_number(std::span<const std::string> words) {
    if (words.empty())
        return std::nullopt;
    if (auto digits = parse_digits(words[0]))
        return digits;

    enum class Last { kNone, kUnit, kTeen, kTens, kHundred, kScale, kZero };
    std::size_t i = 0;
    bool negative = false;
    if (words[0] == "negative" && words.size() > 1 && is_number_word(words[1])) {
        negative = true;
        i = 1;
    } else if (words[0] == "a" && words.size() > 1 &&
               (words[1] == "hundred" || scale_value(words[1]))) {
        i = 1;  // "a hundred" reads as "one hundred"
    }
    const bool implicit_one = i == 1 && !negative;

    std::int64_t total = 0;
    std::int64_t current = implicit_one ? 1 : 0;
    std::int64_t last_scale = 0;  // smallest scale used so far; scales must shrink
    Last last = implicit_one ? Last::kUnit : Last::kNone;
    std::size_t used = 0;  // words consumed that belong to the number

    for (; i < words.size(); ++i) {
        const std::string& word = words[i];
        const bool after_structure =
            last == Last::kNone || last == Last::kHundred || last == Last::kScale;
        if (const auto small = small_value(word)) {
            if (*small == 0) {
                if (last != Last::kNone)
                    break;
                last = Last::kZero;
            } else if (*small < 10) {
                if (!(after_structure || last == Last::kTens))
                    break;
                current += *small;
                last = Last::kUnit;
            } else {
                if (!after_structure)
                    break;
                current += *small;
                last = Last::kTeen;
            }
        } else if (const auto tens = tens_value(word)) {
            if (!after_structure)
                break;
            current += *tens;
            last = Last::kTens;
        } else if (word == "hundred") {
            if (current <= 0 || current >= 100 ||
                !(last == Last::kUnit || last == Last::kTeen || last == Last::kTens)) {
                break;
            }
            current *= 100;
            last = Last::kHundred;
        } else if (const auto scale = scale_value(word)) {
            if (current <= 0 || (last_scale != 0 && *scale >= last_scale) || last == Last::kScale ||
                last == Last::kZero) {
                break;
            }
            total += current * *scale;
            current = 0;
            last_scale = *scale;
            last = Last::kScale;
        } else if (word == "and") {
            if (!(last == Last::kHundred || last == Last::kScale) || i + 1 >= words.size() ||
                !(small_value(words[i + 1]) || tens_value(words[i + 1]))) {
                break;
            }
            continue;  // not counted in `used` unless a number word follows (it does)
        } else if (word == "point") {
            if (last == Last::kNone || last == Last::kHundred || last == Last::kScale ||
                i + 1 >= words.size() || !digit_word(words[i + 1])) {
                break;
            }
            double fraction = 0;
            double place = 0.1;
            std::size_t j = i + 1;
            for (; j < words.size(); ++j) {
                const auto d = digit_word(words[j]);
                if (!d)
                    break;
                fraction += *d * place;
                place /= 10;
            }
            const double value = static_cast<double>(total + current) + fraction;
            return ParsedNumber{negative ? -value : value, j};
        } else {
            break;
        }
        used = i + 1;
    }
    if (used == 0 || (used == 1 && implicit_one))
        return std::nullopt;
    const auto value = static_cast<double>(total + current);
    return ParsedNumber{negative ? -value : value, used};
}

}  // namespace parley::server

// SPDX-License-Identifier: Apache-2.0
#include "server/sentence_splitter.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace parley::server {
namespace {

bool is_space(char ch) {
    return std::isspace(static_cast<unsigned char>(ch)) != 0;
}
bool is_alnum(char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) != 0;
}
bool is_terminator(char ch) {
    return ch == '.' || ch == '!' || ch == '?';
}
bool is_closer(char ch) {
    return ch == '"' || ch == '\'' || ch == ')' || ch == ']';
}

// Words after which "." is part of the word, compared without case.
constexpr std::array<std::string_view, 18> kTitles{"mr", "mrs", "ms",   "dr",  "prof", "st",
                                                   "jr", "sr",  "mt",   "vs",  "gen",  "col",
                                                   "lt", "sgt", "capt", "gov", "rev",  "fig"};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// True when the '.' at `dot` belongs to an abbreviation rather than ending a sentence.
bool is_abbreviation_dot(std::string_view text, std::size_t dot) {
    std::size_t start = dot;
    while (start > 0 && !is_space(text[start - 1]) && text[start - 1] != '(' &&
           text[start - 1] != '"') {
        --start;
    }
    const std::string_view word = text.substr(start, dot - start);
    if (word.empty())
        return false;
    // A single letter, or dotted letters such as "e.g" / "U.S": initials.
    const std::size_t last_dot = word.rfind('.');
    const std::string_view tail =
        last_dot == std::string_view::npos ? word : word.substr(last_dot + 1);
    if (tail.size() == 1 && std::isalpha(static_cast<unsigned char>(tail[0])))
        return true;
    return std::any_of(kTitles.begin(), kTitles.end(),
                       [&](std::string_view title) { return equals_ignoring_case(word, title); });
}

std::string trimmed(std::string_view text) {
    const auto begin = std::find_if_not(text.begin(), text.end(), is_space);
    const auto end = std::find_if_not(text.rbegin(), text.rend(), is_space).base();
    return begin < end ? std::string(begin, end) : std::string();
}

bool has_word(std::string_view text) {
    return std::any_of(text.begin(), text.end(), is_alnum);
}

}  // namespace

std::vector<std::string> SentenceSplitter::push(std::string_view chunk) {
    pending_.append(chunk);
    std::vector<std::string> sentences;
    std::size_t i = scan_from_;
    while (i < pending_.size()) {
        const char ch = pending_[i];
        std::size_t end = std::string::npos;  // one past the sentence's last character
        std::size_t consumed = 0;             // characters to drop with it
        if (is_terminator(ch)) {
            std::size_t j = i;
            while (j < pending_.size() && is_terminator(pending_[j])) ++j;
            while (j < pending_.size() && is_closer(pending_[j])) ++j;
            if (j == pending_.size())
                break;  // undecided until more text arrives
            const bool lone_dot = ch == '.' && j - i == 1;
            if (is_space(pending_[j]) && !(lone_dot && is_abbreviation_dot(pending_, i))) {
                end = j;
                consumed = j;
            }
            i = j;
        } else if (ch == '\n') {
            // A blank line ends a sentence even without punctuation (lists, headings).
            std::size_t j = i + 1;
            while (j < pending_.size() && (pending_[j] == ' ' || pending_[j] == '\t')) ++j;
            if (j == pending_.size())
                break;
            if (pending_[j] == '\n') {
                end = i;
                consumed = j + 1;
            }
            i = j;
        } else {
            ++i;
        }
        if (end != std::string::npos) {
            std::string sentence = trimmed(std::string_view(pending_).substr(0, end));
            if (has_word(sentence))
                sentences.push_back(std::move(sentence));
            pending_.erase(0, consumed);
            i = 0;
        }
    }
    scan_from_ = std::min(i, pending_.size());
    // Keep the scan position on an undecided terminator run so the next push sees it whole.
    while (scan_from_ > 0 &&
           (is_terminator(pending_[scan_from_ - 1]) || is_closer(pending_[scan_from_ - 1]) ||
            pending_[scan_from_ - 1] == '\n')) {
        --scan_from_;
    }
    return sentences;
}

std::optional<std::string> SentenceSplitter::finish() {
    std::string rest = trimmed(pending_);
    pending_.clear();
    scan_from_ = 0;
    if (!has_word(rest))
        return std::nullopt;
    return rest;
}

}  // namespace parley::server

// SPDX-License-Identifier: Apache-2.0
// Duration text per the proto3 JSON mapping of google.protobuf.Duration.
#include "protocol/duration.hpp"

#include <cstdint>
#include <cstdlib>

namespace parley::protocol {
namespace {
constexpr std::int64_t kMaxSeconds = 315'576'000'000;  // google.protobuf.Duration limit
}

std::optional<Duration> parse_duration(std::string_view text) noexcept {
    if (text.size() < 2 || text.back() != 's')
        return std::nullopt;
    text.remove_suffix(1);
    bool negative = false;
    if (text.front() == '-') {
        negative = true;
        text.remove_prefix(1);
    }
    std::int64_t seconds = 0;
    std::size_t i = 0;
    std::size_t int_digits = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++int_digits) {
        seconds = seconds * 10 + (text[i] - '0');
        if (seconds > kMaxSeconds)
            return std::nullopt;
    }
    std::int64_t nanos = 0;
    std::size_t frac_digits = 0;
    if (i < text.size() && text[i] == '.') {
        ++i;
        for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++frac_digits) {
            if (frac_digits == 9)
                return std::nullopt;
            nanos = nanos * 10 + (text[i] - '0');
        }
        if (frac_digits == 0)
            return std::nullopt;
        for (std::size_t k = frac_digits; k < 9; ++k) nanos *= 10;
    }
    if (i != text.size() || int_digits == 0)
        return std::nullopt;
    const std::int64_t total = seconds * 1'000'000'000 + nanos;
    return Duration(negative ? -total : total);
}

std::string format_duration(Duration d) {
    std::int64_t total = d.count();
    std::string out;
    if (total < 0) {
        out.push_back('-');
        total = -total;  // durations we format are far from INT64_MIN
    }
    const std::int64_t seconds = total / 1'000'000'000;
    std::int64_t nanos = total % 1'000'000'000;
    out += std::to_string(seconds);
    if (nanos != 0) {
        int digits = 9;
        if (nanos % 1'000'000 == 0) {
            nanos /= 1'000'000;
            digits = 3;
        } else if (nanos % 1'000 == 0) {
            nanos /= 1'000;
            digits = 6;
        }
        std::string frac = std::to_string(nanos);
        out.push_back('.');
        out.append(static_cast<std::size_t>(digits) - frac.size(), '0');
        out += frac;
    }
    out.push_back('s');
    return out;
}

}  // namespace parley::protocol

// SPDX-License-Identifier: Apache-2.0
// Compact JSON output matching JSON.stringify, so that encoded messages are byte-identical to
// what the official JS SDK sends (numbers: shortest round-trip digits, integers without ".0",
// exponent form only outside [1e-7, 1e21); strings: escape only '"', '\\' and controls).
#include "protocol/json_writer.hpp"

#include <charconv>
#include <cmath>

#include "protocol/base64.hpp"

namespace parley::protocol {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    auto cont = [&](std::size_t k) {
        return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    };
    if (b0 < 0x80)
        return 1;
    if (b0 >= 0xC2 && b0 <= 0xDF)
        return cont(1) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (!cont(1) || !cont(2))
            return 0;
        const auto b1 = static_cast<unsigned char>(s[i + 1]);
        if (b0 == 0xE0 && b1 < 0xA0)
            return 0;  // overlong
        if (b0 == 0xED && b1 >= 0xA0)
            return 0;  // UTF-16 surrogate
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3))
            return 0;
        const auto b1 = static_cast<unsigned char>(s[i + 1]);
        if (b0 == 0xF0 && b1 < 0x90)
            return 0;  // overlong
        if (b0 == 0xF4 && b1 >= 0x90)
            return 0;  // above U+10FFFF
        return 4;
    }
    return 0;
}

void append_escaped(std::string& out, std::string_view s) {
    out.push_back('"');
    std::size_t run = 0;  // start of the pending run of bytes copied verbatim
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            const std::size_t n = utf8_sequence_length(s, i);
            if (n != 0) {
                i += n;
                continue;
            }
        }
        out.append(s.data() + run, i - run);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out.push_back(kHex[c >> 4]);
                    out.push_back(kHex[c & 15]);
                } else {
                    out += "\xEF\xBF\xBD";  // invalid UTF-8 byte -> U+FFFD
                }
        }
        ++i;
        run = i;
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

void append_double(std::string& out, double d) {
    if (!std::isfinite(d)) {
        out += "null";  // what JSON.stringify does with NaN and Infinity
        return;
    }
    if (d == 0) {
        out.push_back('0');  // also for -0, like JS
        return;
    }
    char buf[64];
    const double mag = std::fabs(d);
    std::to_chars_result r{};
    if (mag >= 1e-7 && mag < 1e21) {
        r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
        out.append(buf, r.ptr);
        return;
    }
    r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    // C++ writes "1e-07" / "1e+21"; JS writes "1e-7" / "1e+21": drop exponent leading zeros.
    std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));
    const std::size_t e = s.find('e');
    out.append(s.substr(0, e + 2));
    std::string_view exp = s.substr(e + 2);
    while (exp.size() > 1 && exp.front() == '0') exp.remove_prefix(1);
    out.append(exp);
}

template <typename I>
void append_integer(std::string& out, I n) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, r.ptr);
}

}  // namespace

void JsonWriter::separate() {
    if (need_comma_)
        out_.push_back(',');
    need_comma_ = true;
}

void JsonWriter::begin_object() {
    separate();
    out_.push_back('{');
    need_comma_ = false;
}

void JsonWriter::end_object() {
    out_.push_back('}');
    need_comma_ = true;
}

void JsonWriter::begin_array() {
    separate();
    out_.push_back('[');
    need_comma_ = false;
}

void JsonWriter::end_array() {
    out_.push_back(']');
    need_comma_ = true;
}

void JsonWriter::key(std::string_view name) {
    separate();
    out_.push_back('"');
    out_.append(name);
    out_ += "\":";
    need_comma_ = false;
}

void JsonWriter::key_escaped(std::string_view name) {
    separate();
    append_escaped(out_, name);
    out_.push_back(':');
    need_comma_ = false;
}

void JsonWriter::value(std::string_view text) {
    separate();
    append_escaped(out_, text);
}

void JsonWriter::value(bool b) {
    separate();
    out_ += b ? "true" : "false";
}

void JsonWriter::value(std::int64_t n) {
    separate();
    append_integer(out_, n);
}

void JsonWriter::value(double d) {
    separate();
    append_double(out_, d);
}

void JsonWriter::value_int64_string(std::int64_t n) {
    separate();
    out_.push_back('"');
    append_integer(out_, n);
    out_.push_back('"');
}

void JsonWriter::value_base64(std::span<const std::uint8_t> bytes) {
    separate();
    out_.reserve(out_.size() + base64_encoded_size(bytes.size()) + 2);
    out_.push_back('"');
    base64_encode_append(bytes, out_);
    out_.push_back('"');
}

void JsonWriter::null() {
    separate();
    out_ += "null";
}

void JsonWriter::value_json(const nlohmann::ordered_json& j) {
    using T = nlohmann::ordered_json::value_t;
    switch (j.type()) {
        case T::object:
            begin_object();
            for (const auto& [k, v] : j.items()) {
                key_escaped(k);
                value_json(v);
            }
            end_object();
            return;
        case T::array:
            begin_array();
            for (const auto& v : j) value_json(v);
            end_array();
            return;
        case T::string:
            value(std::string_view(j.get_ref<const std::string&>()));
            return;
        case T::boolean:
            value(j.get<bool>());
            return;
        case T::number_integer:
            separate();
            append_integer(out_, j.get<std::int64_t>());
            return;
        case T::number_unsigned:
            separate();
            append_integer(out_, j.get<std::uint64_t>());
            return;
        case T::number_float:
            value(j.get<double>());
            return;
        case T::null:
        case T::binary:
        case T::discarded:
            null();
            return;
    }
    null();
}

}  // namespace parley::protocol

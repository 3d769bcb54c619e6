// SPDX-License-Identifier: Apache-2.0
#include "protocol/json_reader.hpp"

#include <cstring>
#include <vector>

namespace parley::protocol {
namespace {

// Shorter strings are left to the parser: lifting them out costs more than it saves.
constexpr std::size_t kLiftMinBytes = 256;

// A long string value taken out of the text: its contents and which string of the text it is
// (counting keys and values in document order).
struct LiftedString {
    std::size_t ordinal = 0;
    std::string_view contents;
};

struct Prescan {
    bool too_deep = false;
    std::size_t strings = 0;  // keys and values, in document order
    std::vector<LiftedString> lifted;
};

// True when every byte is printable ASCII other than a backslash: then the JSON string's
// contents are exactly its text, with nothing to unescape or validate. (No early exit: the
// compiler vectorizes the loop.)
bool plain(std::string_view s) {
    unsigned char bad = 0;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        bad |= static_cast<unsigned char>(u < 0x20 || u > 0x7e || u == '\\');
    }
    return bad == 0;
}

// One pass over the text: the nesting depth, and the long plain string values. Strings are
// skipped with memchr. An unterminated string ends the pass; the parser reports it.
Prescan prescan(std::string_view text, int max_depth) {
    Prescan scan;
    int depth = 0;
    const char* p = text.data();
    const char* const end = p + text.size();
    while (p < end) {
        const char c = *p;
        if (c == '"') {
            const char* const start = ++p;
            const char* close = nullptr;
            for (;;) {
                const auto* q = static_cast<const char*>(
                    std::memchr(p, '"', static_cast<std::size_t>(end - p)));
                if (q == nullptr)
                    return scan;
                std::size_t backslashes = 0;
                for (const char* b = q; b > start && b[-1] == '\\'; --b) ++backslashes;
                p = q + 1;
                if (backslashes % 2 == 0) {
                    close = q;
                    break;
                }
            }
            const std::string_view contents(start, static_cast<std::size_t>(close - start));
            const char* next = p;
            while (next < end && (*next == ' ' || *next == '\t' || *next == '\n' || *next == '\r'))
                ++next;
            const bool is_key = next < end && *next == ':';
            if (!is_key && contents.size() >= kLiftMinBytes && plain(contents))
                scan.lifted.push_back({scan.strings, contents});
            ++scan.strings;
            continue;
        }
        if (c == '{' || c == '[') {
            if (++depth > max_depth) {
                scan.too_deep = true;
                return scan;
            }
        } else if (c == '}' || c == ']') {
            --depth;
        }
        ++p;
    }
    return scan;
}

// The text with every lifted string emptied ("").
std::string without_lifted(std::string_view text, const std::vector<LiftedString>& lifted) {
    std::string out;
    std::size_t kept = text.size();
    for (const auto& s : lifted) kept -= s.contents.size();
    out.reserve(kept);
    const char* from = text.data();
    for (const auto& s : lifted) {
        out.append(from, s.contents.data());
        from = s.contents.data() + s.contents.size();
    }
    out.append(from, text.data() + text.size());
    return out;
}

// Walks the document in text order, counting strings as prescan() did, and puts each lifted
// string back in its place. Returns the strings counted.
class Restorer {
public:
    explicit Restorer(const std::vector<LiftedString>& lifted) : lifted_(lifted) {}

    void walk(Json& v) {
        switch (v.type()) {
            case Json::value_t::object:
                for (auto& [key, member] : v.get_ref<Json::object_t&>()) {
                    ++strings_;  // the key
                    walk(member);
                }
                break;
            case Json::value_t::array:
                for (auto& element : v.get_ref<Json::array_t&>()) walk(element);
                break;
            case Json::value_t::string:
                if (next_ < lifted_.size() && lifted_[next_].ordinal == strings_)
                    v.get_ref<std::string&>().assign(lifted_[next_++].contents);
                ++strings_;
                break;
            default:
                break;
        }
    }
    // True when every lifted string went back where it came from: the document holds each of
    // the text's strings once (a repeated key keeps only one of its values, and then the count
    // differs).
    [[nodiscard]] bool complete(std::size_t strings) const {
        return next_ == lifted_.size() && strings_ == strings;
    }

private:
    const std::vector<LiftedString>& lifted_;
    std::size_t next_ = 0;
    std::size_t strings_ = 0;
};

JsonReadResult parse(std::string_view text, Json& doc) {
    try {
        doc = Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& e) {
        return {JsonReadStatus::kNotJson, e.byte};
    }
    return {};
}

}  // namespace

JsonReadResult read_json(std::string_view text, int max_depth, Json& doc) {
    const Prescan scan = prescan(text, max_depth);
    if (scan.too_deep)
        return {JsonReadStatus::kTooDeep, 0};
    if (!scan.lifted.empty()) {
        const std::string rest = without_lifted(text, scan.lifted);
        if (parse(rest, doc).status == JsonReadStatus::kOk) {
            Restorer restorer(scan.lifted);
            restorer.walk(doc);
            if (restorer.complete(scan.strings))
                return {.lifted = scan.lifted.size()};
        }
        // A syntax error (reported at its place in the whole text) or a repeated key.
    }
    return parse(text, doc);
}

}  // namespace parley::protocol

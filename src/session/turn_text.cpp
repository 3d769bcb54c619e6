// SPDX-License-Identifier: Apache-2.0
// Transcript text helpers (see turn_text.hpp).
#include "session/turn_text.hpp"

#include <algorithm>
#include <cctype>

namespace parley::session {

std::string trim_text(const std::string& text) {
    std::string out;
    bool space = false;
    for (const char c : text) {
        if (std::isspace(static_cast<unsigned char>(c)) != 0) {
            space = !out.empty();
        } else {
            if (space)
                out.push_back(' ');
            space = false;
            out.push_back(c);
        }
    }
    return out;
}

std::string cut_text(const std::string& text, double fraction) {
    const std::string clean = trim_text(text);
    fraction = std::clamp(fraction, 0.0, 1.0);
    auto keep = static_cast<std::size_t>(fraction * static_cast<double>(clean.size()) + 0.5);
    if (keep >= clean.size())
        return clean;
    while (keep > 0 && clean[keep] != ' ') --keep;  // back to the word boundary
    return clean.substr(0, keep) + "...";
}

}  // namespace parley::session

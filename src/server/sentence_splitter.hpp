// SPDX-License-Identifier: Apache-2.0
// SentenceSplitter: cuts text that arrives in pieces (a brain streaming its reply) into whole
// sentences as soon as each one is complete, so synthesis can start on the first sentence while
// the rest is still being written. Used by the session on a work thread; one per reply, not
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::server {

class SentenceSplitter {
public:
    // Appends `chunk` and returns the sentences it completed, trimmed, in order. A sentence ends
    // at '.', '!' or '?' (runs like "?!" or "..." and closing quotes or brackets included) once
    // whitespace follows, or at a blank line. A '.' does not end one after a title such as "Dr"
    // or "Mrs", after a single letter ("J. Smith", "e.g."), or inside a number ("3.5").
    [[nodiscard]] std::vector<std::string> push(std::string_view chunk);

    // End of the text: the rest, trimmed, if it holds a letter or digit (a last fragment
    // without a period). Resets the splitter.
    [[nodiscard]] std::optional<std::string> finish();

private:
    std::string pending_;
    std::size_t scan_from_ = 0;  // pending_[0, scan_from_) holds no sentence end
};

}  // namespace parley::server

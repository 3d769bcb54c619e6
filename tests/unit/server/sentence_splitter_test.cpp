// SPDX-License-Identifier: Apache-2.0
#include "server/sentence_splitter.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace parley::server {
namespace {

using Sentences = std::vector<std::string>;

// Feeds `text` in chunks of `chunk_size` characters, then finishes.
Sentences split(std::string_view text, std::size_t chunk_size) {
    SentenceSplitter splitter;
    Sentences out;
    for (std::size_t i = 0; i < text.size(); i += chunk_size) {
        for (auto& s : splitter.push(text.substr(i, chunk_size))) out.push_back(std::move(s));
    }
    if (auto rest = splitter.finish())
        out.push_back(*rest);
    return out;
}

struct Case {
    const char* text;
    Sentences expected;
};

const Case kCases[] = {
    {"Hello there. How are you?", {"Hello there.", "How are you?"}},
    {"Wait! Really?! Yes.", {"Wait!", "Really?!", "Yes."}},
    {"Dr. Smith is here. He came at noon.", {"Dr. Smith is here.", "He came at noon."}},
    {"Mrs. Jones and Mr. Brown met St. Peter.", {"Mrs. Jones and Mr. Brown met St. Peter."}},
    {"It is 3.5 degrees. That is cold.", {"It is 3.5 degrees.", "That is cold."}},
    {"Pi is about 3.14159 today.", {"Pi is about 3.14159 today."}},
    {"J. R. Tolkien wrote books. Many of them.", {"J. R. Tolkien wrote books.", "Many of them."}},
    {"Use tools, e.g. a hammer. Done.", {"Use tools, e.g. a hammer.", "Done."}},
    {"He said \"stop.\" Then he left.", {"He said \"stop.\"", "Then he left."}},
    {"Well... maybe. Sure", {"Well...", "maybe.", "Sure"}},
    {"no period at the end", {"no period at the end"}},
    {"First line\n\nSecond paragraph.", {"First line", "Second paragraph."}},
    {"   ", {}},
    {"...", {}},
};

TEST(SentenceSplitter, SplitsTheSameWhateverTheChunking) {
    for (const auto& c : kCases) {
        for (std::size_t chunk :
             {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{1000}}) {
            SCOPED_TRACE(std::string(c.text) + " / chunk " + std::to_string(chunk));
            EXPECT_EQ(split(c.text, chunk), c.expected);
        }
    }
}

TEST(SentenceSplitter, ReleasesASentenceAsSoonAsItIsDecided) {
    SentenceSplitter splitter;
    EXPECT_TRUE(splitter.push("Twelve times seven").empty());
    // The period might still be "3.5": undecided until the next character.
    EXPECT_TRUE(splitter.push(" is eighty four.").empty());
    EXPECT_EQ(splitter.push(" Any"), Sentences{"Twelve times seven is eighty four."});
    EXPECT_TRUE(splitter.push("thing else").empty());
    EXPECT_EQ(splitter.finish(), std::optional<std::string>("Anything else"));
    EXPECT_EQ(splitter.finish(), std::nullopt);
}

TEST(SentenceSplitter, FinishResetsForTheNextReply) {
    SentenceSplitter splitter;
    (void)splitter.push("One. Two");
    EXPECT_EQ(splitter.finish(), std::optional<std::string>("Two"));
    EXPECT_EQ(splitter.push("Three. "), Sentences{"Three."});
}

}  // namespace
}  // namespace parley::server

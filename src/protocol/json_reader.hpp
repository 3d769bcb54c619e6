// SPDX-License-Identifier: Apache-2.0
// read_json: parses one message's JSON text into a document for the decoders (decode.cpp), with
// the same result as nlohmann-json's parser, but faster on the messages that carry audio: its
// lexer takes a string one character at a time (about 100 MB/s), and a message of audio is
// mostly one long base64 string. Long strings of plain printable ASCII are found with memchr
// before parsing, left out of the text the parser sees, and put back into the document. Pure.
#pragma once

#include <string_view>

#include "protocol/content.hpp"

namespace parley::protocol {

enum class JsonReadStatus { kOk, kTooDeep, kNotJson };

struct JsonReadResult {
    JsonReadStatus status = JsonReadStatus::kOk;
    std::size_t error_byte = 0;  // kNotJson: where the syntax error is, as nlohmann reports it
    std::size_t lifted = 0;      // kOk: long strings that went around the parser
};

// Parses `text` into `doc`, refusing nesting deeper than `max_depth` before parsing (no
// recursive walk can then run out of stack on hostile input).
JsonReadResult read_json(std::string_view text, int max_depth, Json& doc);

}  // namespace parley::protocol

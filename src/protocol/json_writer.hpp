// SPDX-License-Identifier: Apache-2.0
// JsonWriter: appends compact JSON to a std::string in exactly the order it is told, with
// JavaScript's JSON.stringify formatting for numbers and strings. Internal to the protocol
// encoder (encode.cpp, audio.cpp); io context; not thread-safe, one writer per message.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace parley::protocol {

class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_(out) {}

    void begin_object();
    void end_object();
    void begin_array();
    void end_array();
    // `name` must be a plain ASCII key (all Live API keys are); it is not escaped.
    void key(std::string_view name);
    void key_escaped(std::string_view name);  // any key, escaped like a string value

    void value(std::string_view text);  // escaped; invalid UTF-8 becomes U+FFFD
    void value(const char* text) { value(std::string_view(text)); }
    void value(bool b);
    void value(std::int64_t n);
    void value(double d);                     // like JSON.stringify: 0.7, 1, 1e+21; NaN/inf -> null
    void value_int64_string(std::int64_t n);  // proto3 JSON int64: "25600"
    void value_base64(std::span<const std::uint8_t> bytes);
    void value_json(const nlohmann::ordered_json& j);  // free-form JSON, same formatting rules
    void null();

private:
    void separate();

    std::string& out_;
    bool need_comma_ = false;
};

}  // namespace parley::protocol

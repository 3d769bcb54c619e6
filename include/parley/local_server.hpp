// SPDX-License-Identifier: Apache-2.0
// The local Live API server, in-process: what `parley serve` runs and what a client uses when no
// API key is set. Start one, point a Live API client (ours or Google's SDK, base URL
// http://127.0.0.1:PORT) at it, and destroy it to stop. Also: speech from text, as the server
// speaks it, for scripting test input.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "server/live_server.hpp"
#include "server/server_options.hpp"

namespace parley {

using LocalServerOptions = server::ServerOptions;
using LocalServer = server::LiveServer;
using BrainKind = server::BrainKind;

// Writes `text` spoken by the flite voice behind the Live API voice name `voice` (or a flite
// voice name: slt, rms, awb) to a mono PCM16 WAV at `rate_hz`. Errors: synthesis, file.
// Sets how much Parley logs to stderr: "debug", "info", "warn", "error" or "off". False for
// any other text.
[[nodiscard]] bool set_log_level(std::string_view level);

// `text` spoken by the flite voice behind the Live API voice name `voice` (or a flite voice name:
// slt, rms, awb), as mono PCM16 at `rate_hz`.
[[nodiscard]] Result<std::vector<std::int16_t>> speak(const std::string& text,
                                                      const std::string& voice, int rate_hz);

[[nodiscard]] Status speak_to_wav(const std::string& text, const std::string& voice, int rate_hz,
                                  const std::string& path);

}  // namespace parley

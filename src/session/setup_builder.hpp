// SPDX-License-Identifier: Apache-2.0
// make_setup: the `setup` message for a LiveSessionConfig, shaped as the official SDK sends it
// (LIVE_PROTOCOL.md §4.1): settings left at their "server default" values are not sent. Called
// by LiveSession on io at each (re)connect. Pure, any context.
#pragma once

#include <string>

#include "protocol/setup.hpp"
#include "session/live_session_config.hpp"

namespace parley::session {

// The setup for `config`, with `model` (already expanded by resolve_endpoint) and
// `resumption_handle` (empty: a new session; ignored when resumption is disabled).
[[nodiscard]] protocol::Setup make_setup(const LiveSessionConfig& config, std::string model,
                                         const std::string& resumption_handle);

}  // namespace parley::session

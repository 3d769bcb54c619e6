// SPDX-License-Identifier: Apache-2.0
// The conversation client, for applications: a Conversation talks with a Live API model (Gemini
// or `parley serve`) through an audio device, with echo cancellation, barge-in, tools, metrics and
// a transcript. Devices: the sound card, WAV files, or a scripted microphone. Control calls from
// one thread; events arrive on the session's io thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "device/device.hpp"
#include "device/file_device.hpp"
#include "device/portaudio_device.hpp"
#include "device/pulse_device.hpp"
#include "device/sound_card.hpp"
#include "session/conversation.hpp"
#include "session/conversation_report.hpp"
#include "session/conversation_scripted_device.hpp"

namespace parley {

using Conversation = session::Conversation;
using ConversationConfig = session::ConversationConfig;
using ConversationEvent = session::ConversationEvent;
using ConversationEventType = session::ConversationEventType;
using ConversationSink = session::ConversationSink;
using TranscriptLine = session::TranscriptLine;
using TurnMetrics = session::TurnMetrics;
using TimelineMark = session::TimelineMark;
using ToolFunction = session::ToolFunction;
using ScriptedDevice = session::ScriptedDevice;
using session::write_timeline_svg;
using session::write_transcript_jsonl;

using AudioDeviceInfo = device::AudioDeviceInfo;
using AudioBackend = device::AudioBackend;
using device::list_devices;
using device::list_sound_cards;
using device::parse_audio_backend;

// A simple room for simulations: the speaker's sound reaches the microphone after `delay_ms`,
// `gain_db` quieter, with a reverberation decaying over about `rt60_ms`, through a mildly
// non-linear loudspeaker (soft clip y = tanh(k x) / k on x in [-1, 1], k = `loudspeaker_drive`;
// 0 = linear). Driver thread.
[[nodiscard]] device::EchoPath make_room_echo(int rate_hz, int delay_ms = 40,
                                              double gain_db = -12.0, int rt60_ms = 250,
                                              double loudspeaker_drive = 1.5);

}  // namespace parley

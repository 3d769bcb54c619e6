// SPDX-License-Identifier: Apache-2.0
#include "session/setup_builder.hpp"

namespace parley::session {

protocol::Setup make_setup(const LiveSessionConfig& config, std::string model,
                           const std::string& resumption_handle) {
    protocol::Setup setup;
    setup.model = std::move(model);

    protocol::GenerationConfig generation;
    generation.response_modalities = std::vector{config.response_modality == ResponseModality::kText
                                                     ? protocol::Modality::kText
                                                     : protocol::Modality::kAudio};
    generation.temperature = config.temperature;
    generation.top_p = config.top_p;
    generation.top_k = config.top_k;
    generation.max_output_tokens = config.max_output_tokens;
    generation.seed = config.seed;
    if (config.media_resolution != protocol::MediaResolution::kUnspecified) {
        generation.media_resolution = config.media_resolution;
    }
    if (!config.voice_name.empty() || !config.language_code.empty()) {
        protocol::SpeechConfig speech;
        if (!config.voice_name.empty()) {
            speech.voice_config =
                protocol::VoiceConfig{.prebuilt_voice_config = protocol::PrebuiltVoiceConfig{
                                          .voice_name = config.voice_name}};
        }
        if (!config.language_code.empty())
            speech.language_code = config.language_code;
        generation.speech_config = std::move(speech);
    }
    if (config.thinking_budget) {
        protocol::ThinkingConfig thinking;
        thinking.thinking_budget = config.thinking_budget;
        generation.thinking_config = thinking;
    }
    generation.enable_affective_dialog = config.enable_affective_dialog;
    setup.generation_config = std::move(generation);

    if (!config.system_instruction.empty()) {
        setup.system_instruction = protocol::text_content(config.system_instruction);
    }

    std::vector<protocol::Tool> tools;
    if (!config.functions.empty()) {
        protocol::Tool functions;
        functions.function_declarations = config.functions;
        tools.push_back(std::move(functions));
    }
    if (config.google_search) {
        protocol::Tool search;
        search.other["googleSearch"] = protocol::Json::object();
        tools.push_back(std::move(search));
    }
    if (!tools.empty())
        setup.tools = std::move(tools);

    if (config.resumption.enabled) {
        protocol::SessionResumptionConfig resumption;
        if (!resumption_handle.empty())
            resumption.handle = resumption_handle;
        if (config.resumption.transparent.value_or(false))
            resumption.transparent = true;
        setup.session_resumption = std::move(resumption);
    }
    if (config.input_transcription)
        setup.input_audio_transcription.emplace();
    if (config.output_transcription)
        setup.output_audio_transcription.emplace();

    const auto& detection = config.activity_detection;
    protocol::AutomaticActivityDetection automatic;
    bool send_automatic = false;
    if (detection.disabled) {
        automatic.disabled = true;
        send_automatic = true;
    }
    if (detection.start_of_speech_sensitivity != protocol::StartSensitivity::kUnspecified) {
        automatic.start_of_speech_sensitivity = detection.start_of_speech_sensitivity;
        send_automatic = true;
    }
    if (detection.end_of_speech_sensitivity != protocol::EndSensitivity::kUnspecified) {
        automatic.end_of_speech_sensitivity = detection.end_of_speech_sensitivity;
        send_automatic = true;
    }
    if (detection.prefix_padding) {
        automatic.prefix_padding_ms = static_cast<std::int32_t>(detection.prefix_padding->count());
        send_automatic = true;
    }
    if (detection.silence_duration) {
        automatic.silence_duration_ms =
            static_cast<std::int32_t>(detection.silence_duration->count());
        send_automatic = true;
    }
    protocol::RealtimeInputConfig realtime;
    bool send_realtime = false;
    if (send_automatic) {
        realtime.automatic_activity_detection = automatic;
        send_realtime = true;
    }
    if (config.activity_handling != protocol::ActivityHandling::kUnspecified) {
        realtime.activity_handling = config.activity_handling;
        send_realtime = true;
    }
    if (config.turn_coverage != protocol::TurnCoverage::kUnspecified) {
        realtime.turn_coverage = config.turn_coverage;
        send_realtime = true;
    }
    if (send_realtime)
        setup.realtime_input_config = realtime;

    if (config.compression.enabled) {
        protocol::ContextWindowCompression compression;
        if (config.compression.trigger_tokens > 0) {
            compression.trigger_tokens = config.compression.trigger_tokens;
        }
        protocol::SlidingWindow window;
        if (config.compression.target_tokens > 0) {
            window.target_tokens = config.compression.target_tokens;
        }
        compression.sliding_window = window;
        setup.context_window_compression = compression;
    }
    if (config.proactive_audio) {
        setup.proactivity = protocol::ProactivityConfig{.proactive_audio = config.proactive_audio};
    }
    return setup;
}

}  // namespace parley::session

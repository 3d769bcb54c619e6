// SPDX-License-Identifier: Apache-2.0
// The Live API's enums as C++ enum classes, each with its wire names (proto3 JSON writes enums
// as upper-case strings). Value 0 is always the *_UNSPECIFIED member. to_string() and
// enum_from_string<E>() map both ways. Header only, constexpr, any context.
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <string_view>

namespace parley::protocol {

// Wire names per enum, indexed by the enumerator's value.
template <typename E>
struct EnumNames;

template <typename E>
concept ProtocolEnum = requires {
    EnumNames<E>::kNames;
};

#define PARLEY_PROTOCOL_ENUM_NAMES(Type, ...)                       \
    template <>                                                     \
    struct EnumNames<Type> {                                        \
        static constexpr std::string_view kNames[] = {__VA_ARGS__}; \
    }

// generationConfig.responseModalities[]
enum class Modality { kUnspecified, kText, kImage, kAudio, kVideo };
PARLEY_PROTOCOL_ENUM_NAMES(Modality, "MODALITY_UNSPECIFIED", "TEXT", "IMAGE", "AUDIO", "VIDEO");

// usageMetadata.*TokensDetails[].modality
enum class MediaModality { kUnspecified, kText, kImage, kVideo, kAudio, kDocument };
PARLEY_PROTOCOL_ENUM_NAMES(MediaModality, "MODALITY_UNSPECIFIED", "TEXT", "IMAGE", "VIDEO", "AUDIO",
                           "DOCUMENT");

// generationConfig.mediaResolution
enum class MediaResolution { kUnspecified, kLow, kMedium, kHigh };
PARLEY_PROTOCOL_ENUM_NAMES(MediaResolution, "MEDIA_RESOLUTION_UNSPECIFIED", "MEDIA_RESOLUTION_LOW",
                           "MEDIA_RESOLUTION_MEDIUM", "MEDIA_RESOLUTION_HIGH");

// generationConfig.thinkingConfig.thinkingLevel
enum class ThinkingLevel { kUnspecified, kMinimal, kLow, kMedium, kHigh };
PARLEY_PROTOCOL_ENUM_NAMES(ThinkingLevel, "THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM",
                           "HIGH");

// realtimeInputConfig.automaticActivityDetection.startOfSpeechSensitivity
enum class StartSensitivity { kUnspecified, kHigh, kLow };
PARLEY_PROTOCOL_ENUM_NAMES(StartSensitivity, "START_SENSITIVITY_UNSPECIFIED",
                           "START_SENSITIVITY_HIGH", "START_SENSITIVITY_LOW");

// realtimeInputConfig.automaticActivityDetection.endOfSpeechSensitivity
enum class EndSensitivity { kUnspecified, kHigh, kLow };
PARLEY_PROTOCOL_ENUM_NAMES(EndSensitivity, "END_SENSITIVITY_UNSPECIFIED", "END_SENSITIVITY_HIGH",
                           "END_SENSITIVITY_LOW");

// realtimeInputConfig.activityHandling
enum class ActivityHandling { kUnspecified, kStartOfActivityInterrupts, kNoInterruption };
PARLEY_PROTOCOL_ENUM_NAMES(ActivityHandling, "ACTIVITY_HANDLING_UNSPECIFIED",
                           "START_OF_ACTIVITY_INTERRUPTS", "NO_INTERRUPTION");

// realtimeInputConfig.turnCoverage
enum class TurnCoverage {
    kUnspecified,
    kIncludesOnlyActivity,
    kIncludesAllInput,
    kIncludesAudioActivityAndAllVideo
};
PARLEY_PROTOCOL_ENUM_NAMES(TurnCoverage, "TURN_COVERAGE_UNSPECIFIED", "TURN_INCLUDES_ONLY_ACTIVITY",
                           "TURN_INCLUDES_ALL_INPUT", "TURN_INCLUDES_AUDIO_ACTIVITY_AND_ALL_VIDEO");

// tools[].functionDeclarations[].behavior
enum class Behavior { kUnspecified, kBlocking, kNonBlocking };
PARLEY_PROTOCOL_ENUM_NAMES(Behavior, "UNSPECIFIED", "BLOCKING", "NON_BLOCKING");

// toolResponse.functionResponses[].scheduling
enum class FunctionResponseScheduling { kUnspecified, kSilent, kWhenIdle, kInterrupt };
PARLEY_PROTOCOL_ENUM_NAMES(FunctionResponseScheduling, "SCHEDULING_UNSPECIFIED", "SILENT",
                           "WHEN_IDLE", "INTERRUPT");

// serverContent.turnCompleteReason (the SDK 2.32 list)
enum class TurnCompleteReason {
    kUnspecified,
    kMalformedFunctionCall,
    kResponseRejected,
    kNeedMoreInput,
    kProhibitedInputContent,
    kImageProhibitedInputContent,
    kInputTextContainProminentPersonProhibited,
    kInputImageCelebrity,
    kInputImagePhotoRealisticChildProhibited,
    kInputTextNciiProhibited,
    kInputOther,
    kInputIpProhibited,
    kBlocklist,
    kUnsafePromptForImageGeneration,
    kGeneratedImageSafety,
    kGeneratedContentSafety,
    kGeneratedAudioSafety,
    kGeneratedVideoSafety,
    kGeneratedContentProhibited,
    kGeneratedContentBlocklist,
    kGeneratedImageProhibited,
    kGeneratedImageCelebrity,
    kGeneratedImageProminentPeopleDetectedByRewriter,
    kGeneratedImageIdentifiablePeople,
    kGeneratedImageMinors,
    kOutputImageIpProhibited,
    kGeneratedOther,
    kMaxRegenerationReached,
};
PARLEY_PROTOCOL_ENUM_NAMES(
    TurnCompleteReason, "TURN_COMPLETE_REASON_UNSPECIFIED", "MALFORMED_FUNCTION_CALL",
    "RESPONSE_REJECTED", "NEED_MORE_INPUT", "PROHIBITED_INPUT_CONTENT",
    "IMAGE_PROHIBITED_INPUT_CONTENT", "INPUT_TEXT_CONTAIN_PROMINENT_PERSON_PROHIBITED",
    "INPUT_IMAGE_CELEBRITY", "INPUT_IMAGE_PHOTO_REALISTIC_CHILD_PROHIBITED",
    "INPUT_TEXT_NCII_PROHIBITED", "INPUT_OTHER", "INPUT_IP_PROHIBITED", "BLOCKLIST",
    "UNSAFE_PROMPT_FOR_IMAGE_GENERATION", "GENERATED_IMAGE_SAFETY", "GENERATED_CONTENT_SAFETY",
    "GENERATED_AUDIO_SAFETY", "GENERATED_VIDEO_SAFETY", "GENERATED_CONTENT_PROHIBITED",
    "GENERATED_CONTENT_BLOCKLIST", "GENERATED_IMAGE_PROHIBITED", "GENERATED_IMAGE_CELEBRITY",
    "GENERATED_IMAGE_PROMINENT_PEOPLE_DETECTED_BY_REWRITER", "GENERATED_IMAGE_IDENTIFIABLE_PEOPLE",
    "GENERATED_IMAGE_MINORS", "OUTPUT_IMAGE_IP_PROHIBITED", "GENERATED_OTHER",
    "MAX_REGENERATION_REACHED");

// serverContent.interactionStatus (newest models)
enum class InteractionStatus { kUnspecified, kInProgress, kRequiresAction, kIdle };
PARLEY_PROTOCOL_ENUM_NAMES(InteractionStatus, "INTERACTION_STATUS_UNSPECIFIED", "IN_PROGRESS",
                           "REQUIRES_ACTION", "IDLE");

// voiceActivity.voiceActivityType (Vertex: voiceActivity.type)
enum class VoiceActivityType { kUnspecified, kActivityStart, kActivityEnd };
PARLEY_PROTOCOL_ENUM_NAMES(VoiceActivityType, "TYPE_UNSPECIFIED", "ACTIVITY_START", "ACTIVITY_END");

// voiceActivityDetectionSignal.vadSignalType
enum class VadSignalType { kUnspecified, kStartOfSpeech, kEndOfSpeech };
PARLEY_PROTOCOL_ENUM_NAMES(VadSignalType, "VAD_SIGNAL_TYPE_UNSPECIFIED", "VAD_SIGNAL_TYPE_SOS",
                           "VAD_SIGNAL_TYPE_EOS");

#undef PARLEY_PROTOCOL_ENUM_NAMES

// The wire name of `e`; an out-of-range value maps to the *_UNSPECIFIED name.
template <ProtocolEnum E>
[[nodiscard]] constexpr std::string_view to_string(E e) noexcept {
    const auto& names = EnumNames<E>::kNames;
    const auto i = static_cast<std::size_t>(e);
    return i < std::size(names) ? names[i] : names[0];
}

// The enumerator whose wire name is `name`, or nullopt for an unknown name.
template <ProtocolEnum E>
[[nodiscard]] constexpr std::optional<E> enum_from_string(std::string_view name) noexcept {
    const auto& names = EnumNames<E>::kNames;
    for (std::size_t i = 0; i < std::size(names); ++i) {
        if (names[i] == name)
            return static_cast<E>(i);
    }
    return std::nullopt;
}

}  // namespace parley::protocol

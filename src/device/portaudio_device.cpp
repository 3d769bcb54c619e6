// SPDX-License-Identifier: Apache-2.0
// The only file that includes portaudio.h (PortAudio 19.6 on Debian 12: ALSA, OSS and JACK host
// APIs; PulseAudio is reached through ALSA's pulse plugin).
#include "device/portaudio_device.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <alsa/asoundlib.h>
#include <dlfcn.h>
#include <portaudio.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "base/log.hpp"
#include "base/thread_name.hpp"
#include "device/device_spec.hpp"
#include "device/error.hpp"
#include "device/rt_scope.hpp"
#include "dsp/frame.hpp"
#include "dsp/resampler.hpp"

namespace parley::device {

static_assert(sizeof(PaStreamCallbackFlags) == sizeof(unsigned long));

namespace {

// Largest device block handled in one piece when channels must be converted; bigger blocks are
// processed in pieces of this size.
constexpr std::size_t kScratchFrames = 8192;
constexpr int kFallbackRatesHz[] = {48000, 44100, 32000, 16000};

// ALSA's and JACK's own complaints while PortAudio probes devices ("ALSA lib pcm.c:2666:
// (snd_pcm_open_noupdate) Unknown PCM cards.pcm.rear", "jack server is not running ...") go to
// our log at debug level instead of the user's terminal. The libraries come with PortAudio; their
// hooks are looked up at run time so that nothing links them directly (absent: nothing to do).
extern "C" void alsa_message_to_log(const char* file, int line, const char* function, int err,
                                    const char* fmt, ...) {
    char text[512];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    log::debug("ALSA: {}:{} ({}) {}{}{}", file ? file : "?", line, function ? function : "?", text,
               err != 0 ? ": " : "", err != 0 ? std::strerror(err < 0 ? -err : err) : "");
}

extern "C" void jack_message_to_log(const char* text) {
    log::debug("JACK: {}", text ? text : "");
}

void quiet_sound_libraries() {
    static std::once_flag once;
    std::call_once(once, [] {
        using AlsaSetHandler = decltype(&snd_lib_error_set_handler);
        if (auto* set = reinterpret_cast<AlsaSetHandler>(
                dlsym(RTLD_DEFAULT, "snd_lib_error_set_handler"))) {
            set(&alsa_message_to_log);
        }
        using JackSetFunction = void (*)(void (*)(const char*));
        for (const char* name : {"jack_set_error_function", "jack_set_info_function"}) {
            if (auto* set = reinterpret_cast<JackSetFunction>(dlsym(RTLD_DEFAULT, name)))
                set(&jack_message_to_log);
        }
    });
}

// PortAudio's Pa_Initialize/Pa_Terminate are reference counted but not thread-safe.
std::mutex& pa_mutex() {
    static std::mutex m;
    return m;
}

// One reference on the PortAudio library.
class PaLibrary {
public:
    static std::unique_ptr<PaLibrary> acquire(std::string* why) {
        std::lock_guard lock(pa_mutex());
        quiet_sound_libraries();
        const PaError err = Pa_Initialize();
        if (err != paNoError) {
            if (why)
                *why = std::string("PortAudio could not start: ") + Pa_GetErrorText(err);
            return nullptr;
        }
        return std::unique_ptr<PaLibrary>(new PaLibrary());
    }
    ~PaLibrary() {
        std::lock_guard lock(pa_mutex());
        Pa_Terminate();
    }
    PaLibrary(const PaLibrary&) = delete;
    PaLibrary& operator=(const PaLibrary&) = delete;

private:
    PaLibrary() = default;
};

// Resolves a device spec ("" / index / name substring) for one direction.
Result<PaDeviceIndex> resolve_device(const std::string& spec, bool input, std::string* why) {
    const char* direction = input ? "input" : "output";
    auto channels = [input](const PaDeviceInfo* info) {
        return input ? info->maxInputChannels : info->maxOutputChannels;
    };
    PaDeviceIndex index = paNoDevice;
    if (spec.empty() || spec == "default") {
        index = input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
        if (index == paNoDevice) {
            if (why)
                *why = std::string("no default audio ") + direction +
                       " device; `parley devices` lists them";
            return fail(DeviceError::kNoSuchDevice);
        }
    } else if (all_digits(spec)) {
        const long wanted = std::strtol(spec.c_str(), nullptr, 10);
        if (wanted >= Pa_GetDeviceCount()) {
            if (why)
                *why = "no audio device matches '" + spec + "'; `parley devices` lists them";
            return fail(DeviceError::kNoSuchDevice);
        }
        index = static_cast<PaDeviceIndex>(wanted);
    } else {
        const std::string needle = lower(spec);
        bool name_matched = false;
        for (PaDeviceIndex i = 0; i < Pa_GetDeviceCount(); ++i) {
            const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
            if (info == nullptr || lower(info->name).find(needle) == std::string::npos)
                continue;
            name_matched = true;
            if (channels(info) > 0) {
                index = i;
                break;
            }
        }
        if (index == paNoDevice) {
            if (why)
                *why = name_matched
                           ? "audio device '" + spec + "' has no " + direction +
                                 " channels; `parley devices` lists them"
                           : "no audio device matches '" + spec + "'; `parley devices` lists them";
            return fail(name_matched ? DeviceError::kNoChannels : DeviceError::kNoSuchDevice);
        }
    }
    const PaDeviceInfo* info = Pa_GetDeviceInfo(index);
    if (info == nullptr || channels(info) <= 0) {
        if (why)
            *why = "audio device '" + std::string(info ? info->name : spec) + "' has no " +
                   direction + " channels; `parley devices` lists them";
        return fail(DeviceError::kNoChannels);
    }
    return index;
}

PaStreamParameters stream_parameters(PaDeviceIndex index, int channels, bool input,
                                     int suggested_latency_ms) {
    const PaDeviceInfo* info = Pa_GetDeviceInfo(index);
    PaStreamParameters p{};
    p.device = index;
    p.channelCount = channels;
    p.sampleFormat = paInt16;
    p.suggestedLatency = suggested_latency_ms > 0 ? suggested_latency_ms / 1000.0
                                                  : std::max(kDefaultMinLatencyMs / 1000.0,
                                                             input ? info->defaultLowInputLatency
                                                                   : info->defaultLowOutputLatency);
    p.hostApiSpecificStreamInfo = nullptr;
    return p;
}

// Candidate rates, most wanted first.
std::vector<int> candidate_rates(int forced_rate_hz, PaDeviceIndex preferred) {
    if (forced_rate_hz > 0)
        return {forced_rate_hz};
    std::vector<int> rates;
    const int device_default = static_cast<int>(Pa_GetDeviceInfo(preferred)->defaultSampleRate);
    if (dsp::is_valid_rate_hz(device_default))
        rates.push_back(device_default);
    for (int r : kFallbackRatesHz)
        if (std::find(rates.begin(), rates.end(), r) == rates.end())
            rates.push_back(r);
    return rates;
}

// Picks channels (mono first, then stereo) and a rate the device accepts.
struct Format {
    int rate_hz = 0;
    int input_channels = 0;
    int output_channels = 0;
};

std::optional<Format> negotiate(const PaStreamParameters* in_base,
                                const PaStreamParameters* out_base, int forced_rate_hz,
                                PaDeviceIndex preferred) {
    for (int rate : candidate_rates(forced_rate_hz, preferred)) {
        for (int channels : {1, 2}) {
            PaStreamParameters in = in_base ? *in_base : PaStreamParameters{};
            PaStreamParameters out = out_base ? *out_base : PaStreamParameters{};
            if (in_base)
                in.channelCount = std::min(channels, Pa_GetDeviceInfo(in.device)->maxInputChannels);
            if (out_base)
                out.channelCount =
                    std::min(channels, Pa_GetDeviceInfo(out.device)->maxOutputChannels);
            if (Pa_IsFormatSupported(in_base ? &in : nullptr, out_base ? &out : nullptr, rate) ==
                paFormatIsSupported)
                return Format{rate, in_base ? in.channelCount : 0, out_base ? out.channelCount : 0};
        }
    }
    return std::nullopt;
}

// PortAudio 19.6's ALSA host polls capture and playback together in duplex mode; with ALSA's
// pulse plugin the capture poll fails within a few callbacks and the callback thread ends
// ("ContinuePoll ... failed"), reproducibly at every latency tried (9-100 ms). Two streams on the
// same server run fine, and share the server's clock.
bool is_alsa_sound_server_plugin(PaDeviceIndex index) {
    const PaDeviceInfo* info = Pa_GetDeviceInfo(index);
    const PaHostApiInfo* api = info ? Pa_GetHostApiInfo(info->hostApi) : nullptr;
    if (api == nullptr || api->type != paALSA || info->name == nullptr)
        return false;
    const std::string name = lower(info->name);
    return name == "default" || name == "pulse" || name == "pipewire" || name == "sysdefault";
}

bool use_duplex_stream(StreamMode mode, PaDeviceIndex index) {
    switch (mode) {
        case StreamMode::kDuplex:
            return true;
        case StreamMode::kTwoStreams:
            return false;
        case StreamMode::kAuto:
            return !is_alsa_sound_server_plugin(index);
    }
    return true;
}

std::int64_t steady_now_ns() noexcept {
    // clock_gettime(CLOCK_MONOTONIC) through the vDSO: no system call, no lock.
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The rt callback.

int portaudio_stream_callback(const void* input, void* output, unsigned long frame_count,
                              const PaStreamCallbackTimeInfo* /*time_info*/,
                              unsigned long status_flags, void* user_data) noexcept {
    RtScope rt;
    auto& ctx = *static_cast<PortAudioCallbackContext*>(user_data);
    RtBridge& bridge = *ctx.bridge;
    const std::int64_t now_ns = steady_now_ns();
    if ((status_flags & (paInputOverflow | paOutputUnderflow)) != 0)
        bridge.count_device_xrun();

    const auto* in = static_cast<const std::int16_t*>(input);
    auto* out = static_cast<std::int16_t*>(output);
    const bool has_in = ctx.role != StreamRole::kRender && in != nullptr;
    const bool has_out = ctx.role != StreamRole::kCapture && out != nullptr;
    const auto in_ch = static_cast<std::size_t>(ctx.input_channels);
    const auto out_ch = static_cast<std::size_t>(ctx.output_channels);

    std::size_t done = 0;
    const auto frames = static_cast<std::size_t>(frame_count);
    while (done < frames) {
        // Mono device buffers are used in place; others go through the scratch buffers.
        const bool direct = (!has_in || in_ch == 1) && (!has_out || out_ch == 1);
        const std::size_t n =
            direct ? frames - done : std::min(frames - done, ctx.scratch_in.size());
        if (n == 0)
            break;  // no scratch space: a context built without allocate_scratch (a bug)

        std::span<const std::int16_t> mono_in;
        if (has_in) {
            const std::int16_t* src = in + done * in_ch;
            if (in_ch == 1) {
                mono_in = {src, n};
            } else {
                for (std::size_t i = 0; i < n; ++i) {
                    std::int32_t sum = 0;
                    for (std::size_t c = 0; c < in_ch; ++c) sum += src[i * in_ch + c];
                    ctx.scratch_in[i] =
                        static_cast<std::int16_t>(sum / static_cast<std::int32_t>(in_ch));
                }
                mono_in = {ctx.scratch_in.data(), n};
            }
        }
        std::span<std::int16_t> mono_out;
        if (has_out)
            mono_out = out_ch == 1 ? std::span<std::int16_t>(out + done, n)
                                   : std::span<std::int16_t>(ctx.scratch_out.data(), n);

        switch (ctx.role) {
            case StreamRole::kDuplex:
                if (has_out) {
                    bridge.process_duplex(mono_in, mono_out, now_ns);
                } else if (has_in) {
                    bridge.process_capture(mono_in, now_ns);
                }
                break;
            case StreamRole::kCapture:
                if (has_in)
                    bridge.process_capture(mono_in, now_ns);
                break;
            case StreamRole::kRender:
                if (has_out)
                    bridge.process_render(mono_out, now_ns);
                break;
        }
        if (has_out && out_ch != 1) {
            std::int16_t* dst = out + done * out_ch;
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t c = 0; c < out_ch; ++c) dst[i * out_ch + c] = ctx.scratch_out[i];
        }
        done += n;
    }
    return paContinue;
}

// ---------------------------------------------------------------------------------------------

struct PortAudioDevice::Streams {
    std::unique_ptr<PaLibrary> library;
    PaStream* duplex = nullptr;   // duplex mode
    PaStream* capture = nullptr;  // two-stream mode
    PaStream* render = nullptr;

    ~Streams() {
        for (PaStream* s : {duplex, capture, render})
            if (s != nullptr)
                Pa_CloseStream(s);
    }
};

Result<std::vector<AudioDeviceInfo>> list_devices(std::string* why) {
    auto library = PaLibrary::acquire(why);
    if (!library)
        return fail(DeviceError::kBackendFailed);
    std::vector<AudioDeviceInfo> devices;
    const PaDeviceIndex default_in = Pa_GetDefaultInputDevice();
    const PaDeviceIndex default_out = Pa_GetDefaultOutputDevice();
    for (PaDeviceIndex i = 0; i < Pa_GetDeviceCount(); ++i) {
        const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
        if (info == nullptr)
            continue;
        const PaHostApiInfo* api = Pa_GetHostApiInfo(info->hostApi);
        devices.push_back(AudioDeviceInfo{
            .index = i,
            .name = info->name ? info->name : "",
            .host_api = api && api->name ? api->name : "",
            .max_input_channels = info->maxInputChannels,
            .max_output_channels = info->maxOutputChannels,
            .default_rate_hz = static_cast<int>(info->defaultSampleRate),
            .is_default_input = i == default_in,
            .is_default_output = i == default_out,
        });
    }
    return devices;
}

PortAudioDevice::PortAudioDevice(PortAudioDeviceOptions options) : options_(std::move(options)) {}

PortAudioDevice::~PortAudioDevice() {
    close();
}

Status PortAudioDevice::open(std::string* why) {
    std::lock_guard lock(control_mutex_);
    if (streams_)
        return fail_with(DeviceError::kInvalidConfig, why, "the audio device is already open");
    return open_locked(options_.sample_rate_hz, options_.sample_rate_hz, why);
}

Status PortAudioDevice::open_locked(int forced_input_rate_hz, int forced_rate_hz,
                                    std::string* why) {
    if (options_.capture_ring_ms <= 0 || options_.render_ring_ms <= 0 ||
        options_.flush_fade_ms <= 0 || options_.frames_per_buffer < 0 ||
        options_.suggested_latency_ms < 0 ||
        (forced_rate_hz != 0 && !dsp::is_valid_rate_hz(forced_rate_hz)) ||
        (forced_input_rate_hz != 0 && !dsp::is_valid_rate_hz(forced_input_rate_hz)))
        return fail_with(DeviceError::kInvalidConfig, why,
                         "invalid audio device options: rates in [1000, 384000] Hz, positive "
                         "ring and fade lengths, non-negative buffer and latency");
    auto streams = std::make_unique<Streams>();
    streams->library = PaLibrary::acquire(why);
    if (!streams->library)
        return fail(DeviceError::kBackendFailed);

    auto in_index = resolve_device(options_.input_device, true, why);
    if (!in_index)
        return fail(in_index.error());
    auto out_index = resolve_device(options_.output_device, false, why);
    if (!out_index)
        return fail(out_index.error());
    input_name_ = Pa_GetDeviceInfo(*in_index)->name;
    output_name_ = Pa_GetDeviceInfo(*out_index)->name;
    duplex_ = *in_index == *out_index && use_duplex_stream(options_.stream_mode, *in_index);

    const PaStreamParameters in_params =
        stream_parameters(*in_index, 1, true, options_.suggested_latency_ms);
    const PaStreamParameters out_params =
        stream_parameters(*out_index, 1, false, options_.suggested_latency_ms);
    const unsigned long frames_per_buffer =
        options_.frames_per_buffer > 0 ? static_cast<unsigned long>(options_.frames_per_buffer)
                                       : paFramesPerBufferUnspecified;

    auto open_one = [&](const PaStreamParameters* in, const PaStreamParameters* out, int rate_hz,
                        PortAudioCallbackContext& ctx, PaStream** stream) -> Status {
        const PaError err = Pa_OpenStream(stream, in, out, rate_hz, frames_per_buffer, paNoFlag,
                                          &portaudio_stream_callback, &ctx);
        if (err != paNoError) {
            *stream = nullptr;
            return fail_with(DeviceError::kOpenFailed, why,
                             "cannot open audio device '" +
                                 std::string(in ? input_name_ : output_name_) +
                                 "': " + Pa_GetErrorText(err));
        }
        return {};
    };
    auto unsupported = [&](const std::string& device_name) {
        return fail_with(DeviceError::kUnsupportedFormat, why,
                         "audio device '" + device_name + "' accepts no mono or stereo 16-bit PCM" +
                             (forced_rate_hz > 0 ? " at " + std::to_string(forced_rate_hz) + " Hz"
                                                 : std::string(" at its usual rates")) +
                             "; pick another device or rate");
    };

    int input_rate_hz = 0;
    int output_rate_hz = 0;
    if (duplex_) {
        const auto format = negotiate(&in_params, &out_params, forced_rate_hz, *out_index);
        if (!format)
            return unsupported(output_name_);
        PaStreamParameters in = in_params;
        PaStreamParameters out = out_params;
        in.channelCount = format->input_channels;
        out.channelCount = format->output_channels;
        capture_context_ = PortAudioCallbackContext{};
        capture_context_.role = StreamRole::kDuplex;
        capture_context_.input_channels = format->input_channels;
        capture_context_.output_channels = format->output_channels;
        capture_context_.allocate_scratch(kScratchFrames);
        if (auto s = open_one(&in, &out, format->rate_hz, capture_context_, &streams->duplex); !s)
            return s;
        const PaStreamInfo* info = Pa_GetStreamInfo(streams->duplex);
        input_rate_hz = output_rate_hz = static_cast<int>(info->sampleRate);
        latency_.input =
            std::chrono::microseconds(static_cast<std::int64_t>(info->inputLatency * 1e6));
        latency_.output =
            std::chrono::microseconds(static_cast<std::int64_t>(info->outputLatency * 1e6));
    } else {
        const auto in_format = negotiate(&in_params, nullptr, forced_input_rate_hz, *in_index);
        if (!in_format)
            return unsupported(input_name_);
        const auto out_format = negotiate(nullptr, &out_params, forced_rate_hz, *out_index);
        if (!out_format)
            return unsupported(output_name_);
        PaStreamParameters in = in_params;
        PaStreamParameters out = out_params;
        in.channelCount = in_format->input_channels;
        out.channelCount = out_format->output_channels;
        capture_context_ = PortAudioCallbackContext{};
        capture_context_.role = StreamRole::kCapture;
        capture_context_.input_channels = in_format->input_channels;
        capture_context_.allocate_scratch(kScratchFrames);
        render_context_ = PortAudioCallbackContext{};
        render_context_.role = StreamRole::kRender;
        render_context_.output_channels = out_format->output_channels;
        render_context_.allocate_scratch(kScratchFrames);
        if (auto s =
                open_one(&in, nullptr, in_format->rate_hz, capture_context_, &streams->capture);
            !s)
            return s;
        if (auto s =
                open_one(nullptr, &out, out_format->rate_hz, render_context_, &streams->render);
            !s)
            return s;
        const PaStreamInfo* in_info = Pa_GetStreamInfo(streams->capture);
        const PaStreamInfo* out_info = Pa_GetStreamInfo(streams->render);
        input_rate_hz = static_cast<int>(in_info->sampleRate);
        output_rate_hz = static_cast<int>(out_info->sampleRate);
        latency_.input =
            std::chrono::microseconds(static_cast<std::int64_t>(in_info->inputLatency * 1e6));
        latency_.output =
            std::chrono::microseconds(static_cast<std::int64_t>(out_info->outputLatency * 1e6));
    }

    const RtBridgeOptions bridge_options{
        .input_rate_hz = input_rate_hz,
        .output_rate_hz = output_rate_hz,
        .capture_ring_ms = options_.capture_ring_ms,
        .render_ring_ms = options_.render_ring_ms,
        .flush_fade_ms = options_.flush_fade_ms,
        .reference_enabled = options_.reference_enabled,
    };
    if (!ensure_bridge(bridge_options))
        return fail_with(DeviceError::kUnsupportedFormat, why,
                         "audio device '" + output_name_ + "' came back at another rate (" +
                             std::to_string(input_rate_hz) + " Hz); restart the conversation");
    capture_context_.bridge = bridge();
    render_context_.bridge = bridge();
    streams_ = std::move(streams);
    log::info(
        "audio device: {} ({}), {} Hz in / {} Hz out, {}/{} channels, latency {:.1f}/{:.1f} ms",
        name(), duplex_ ? "one duplex stream" : "two streams", input_rate_hz, output_rate_hz,
        capture_context_.input_channels,
        duplex_ ? capture_context_.output_channels : render_context_.output_channels,
        latency_.input.count() / 1000.0, latency_.output.count() / 1000.0);
    return {};
}

Status PortAudioDevice::start(std::string* why) {
    std::lock_guard lock(control_mutex_);
    return start_locked(why);
}

Status PortAudioDevice::start_locked(std::string* why) {
    if (!streams_)
        return fail_with(DeviceError::kNotOpen, why,
                         "the audio device is not open: call open() first");
    if (running_.load())
        return {};
    bridge()->mark_started(steady_now_ns());
    for (PaStream* s : {streams_->duplex, streams_->capture, streams_->render}) {
        if (s == nullptr)
            continue;
        const PaError err = Pa_StartStream(s);
        if (err != paNoError) {
            stop_locked();
            return fail_with(
                DeviceError::kStartFailed, why,
                "audio device '" + name() + "' would not start: " + Pa_GetErrorText(err));
        }
    }
    running_.store(true);
    return {};
}

void PortAudioDevice::stop() {
    std::lock_guard lock(control_mutex_);
    stop_locked();
}

void PortAudioDevice::stop_locked() {
    if (streams_) {
        for (PaStream* s : {streams_->duplex, streams_->capture, streams_->render}) {
            // Abort when the device is gone (stopping would wait for buffers that never drain).
            if (s != nullptr && Pa_IsStreamActive(s) == 1)
                Pa_StopStream(s);
            else if (s != nullptr && Pa_IsStreamStopped(s) == 0)
                Pa_AbortStream(s);
        }
    }
    running_.store(false);
}

void PortAudioDevice::close() {
    std::lock_guard lock(control_mutex_);
    close_locked();
}

void PortAudioDevice::close_locked() {
    stop_locked();
    streams_.reset();
}

Status PortAudioDevice::reopen(std::string* why) {
    std::lock_guard lock(control_mutex_);
    if (!bridge())
        return fail_with(DeviceError::kNotOpen, why,
                         "the audio device is not open: call open() first");
    // Dropping our PortAudio reference (when we hold the last one) makes the next Pa_Initialize
    // scan the devices again, so a device that came back is found.
    close_locked();
    if (auto s =
            open_locked(bridge()->options().input_rate_hz, bridge()->options().output_rate_hz, why);
        !s)
        return s;
    return start_locked(why);
}

std::string PortAudioDevice::name() const {
    if (input_name_.empty() && output_name_.empty())
        return "portaudio (not open)";
    return duplex_ ? input_name_ : input_name_ + " / " + output_name_;
}

DeviceLatency PortAudioDevice::latency() const {
    std::lock_guard lock(control_mutex_);
    return latency_;
}

}  // namespace parley::device

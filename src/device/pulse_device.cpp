// SPDX-License-Identifier: Apache-2.0
// The only file that includes libpulse's headers (the asynchronous API on a threaded mainloop).
#include "device/pulse_device.hpp"

#include <pulse/pulseaudio.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "base/log.hpp"
#include "device/device_spec.hpp"
#include "device/error.hpp"
#include "device/pulse_callback.hpp"
#include "dsp/resampler.hpp"

namespace parley::device {
namespace {

using std::chrono::milliseconds;

// Control-path waits (connect, stream set-up, cork) give up after this: a server that accepted the
// connection but never answers must not hang `parley talk`.
constexpr milliseconds kServerTimeout{5000};

std::int64_t steady_now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::uint32_t ms_to_bytes(int ms, int rate_hz) {
    return static_cast<std::uint32_t>(static_cast<std::int64_t>(ms) * rate_hz / 1000) *
           sizeof(std::int16_t);
}

std::chrono::microseconds bytes_to_duration(std::uint32_t bytes, int rate_hz) {
    return std::chrono::microseconds(static_cast<std::int64_t>(bytes / sizeof(std::int16_t)) *
                                     1'000'000 / rate_hz);
}

struct ServerInfo {
    std::string default_source;
    std::string default_sink;
    int rate_hz = 0;
};

struct DeviceList {
    std::vector<AudioDeviceInfo> devices;

    // The callback of pa_context_get_source_info_list (Info = pa_source_info, kInput) and of
    // pa_context_get_sink_info_list (pa_sink_info): one call per device, then one with eol set.
    template <class Info, bool kInput>
    static void collect(pa_context* /*context*/, const Info* i, int eol, void* user) {
        if (eol != 0 || i == nullptr)
            return;
        AudioDeviceInfo d;
        d.index = static_cast<int>(i->index);
        d.name = i->name ? i->name : "";
        d.host_api = "PulseAudio";
        d.description = i->description ? i->description : "";
        (kInput ? d.max_input_channels : d.max_output_channels) = i->sample_spec.channels;
        d.default_rate_hz = static_cast<int>(i->sample_spec.rate);
        static_cast<DeviceList*>(user)->devices.push_back(std::move(d));
    }
};

}  // namespace

// ---------------------------------------------------------------------------------------------

struct PulseDevice::Connection {
    pa_threaded_mainloop* loop = nullptr;
    pa_context* context = nullptr;
    pa_stream* record = nullptr;
    pa_stream* playback = nullptr;
    RtBridge* bridge = nullptr;
    // Read and written with the mainloop lock held (the callbacks run with it): samples move
    // between the server and the rings only while true, so stop() returning means no callback
    // touches the rings.
    bool active = false;

    Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    ~Connection() {
        if (loop == nullptr)
            return;
        pa_threaded_mainloop_lock(loop);
        for (pa_stream* s : {record, playback}) {
            if (s != nullptr) {
                pa_stream_set_read_callback(s, nullptr, nullptr);
                pa_stream_set_write_callback(s, nullptr, nullptr);
                pa_stream_disconnect(s);
                pa_stream_unref(s);
            }
        }
        if (context != nullptr) {
            pa_context_disconnect(context);
            pa_context_unref(context);
        }
        pa_threaded_mainloop_unlock(loop);
        pa_threaded_mainloop_stop(loop);
        pa_threaded_mainloop_free(loop);
    }

    // The mainloop lock, held for a scope.
    class Lock {
    public:
        explicit Lock(pa_threaded_mainloop* loop) : loop_(loop) { pa_threaded_mainloop_lock(loop); }
        ~Lock() { pa_threaded_mainloop_unlock(loop_); }
        Lock(const Lock&) = delete;
        Lock& operator=(const Lock&) = delete;

    private:
        pa_threaded_mainloop* loop_;
    };

    // With the lock held: lets the mainloop run until `done()` or the timeout. Control path only,
    // so a short poll is simpler than signalling from every callback.
    template <class Done>
    bool wait_for(Done done) {
        const auto deadline = std::chrono::steady_clock::now() + kServerTimeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() >= deadline)
                return false;
            pa_threaded_mainloop_unlock(loop);
            std::this_thread::sleep_for(milliseconds(1));
            pa_threaded_mainloop_lock(loop);
        }
        return true;
    }

    // With the lock held: waits for an operation and releases it; true when it completed (its
    // callbacks all ran), false on a timeout, a cancellation (the connection died) or a null
    // operation (the request failed at once).
    bool complete(pa_operation* op) {
        if (op == nullptr)
            return false;
        const bool settled =
            wait_for([op] { return pa_operation_get_state(op) != PA_OPERATION_RUNNING; });
        const bool done = settled && pa_operation_get_state(op) == PA_OPERATION_DONE;
        pa_operation_unref(op);
        return done;
    }

    [[nodiscard]] std::string last_error() const { return pa_strerror(pa_context_errno(context)); }

    // Starts the mainloop and connects to the server (never spawning one).
    Status connect(std::string* why) {
        loop = pa_threaded_mainloop_new();
        if (loop == nullptr)
            return fail_with(DeviceError::kBackendFailed, why, "cannot start libpulse's mainloop");
        context = pa_context_new(pa_threaded_mainloop_get_api(loop), "parley");
        if (context == nullptr)
            return fail_with(DeviceError::kBackendFailed, why,
                             "cannot create a PulseAudio context");
        const auto no_server = [&](const std::string& reason) {
            return fail_with(DeviceError::kBackendFailed, why,
                             "no PulseAudio server answers (" + reason +
                                 "): start one (or PipeWire's), or use --audio-backend portaudio");
        };
        if (pa_context_connect(context, nullptr, PA_CONTEXT_NOAUTOSPAWN, nullptr) < 0)
            return no_server(last_error());
        if (pa_threaded_mainloop_start(loop) < 0)
            return fail_with(DeviceError::kBackendFailed, why, "cannot start libpulse's mainloop");
        Lock lock(loop);
        const bool settled = wait_for([this] {
            const pa_context_state_t state = pa_context_get_state(context);
            return state == PA_CONTEXT_READY || !PA_CONTEXT_IS_GOOD(state);
        });
        if (!settled)
            return no_server("it did not answer within 5 s");
        if (pa_context_get_state(context) != PA_CONTEXT_READY)
            return no_server(last_error());
        return {};
    }

    // With the lock held.
    bool server_info(ServerInfo& info) {
        pa_operation* op = pa_context_get_server_info(
            context,
            [](pa_context*, const pa_server_info* i, void* user) {
                auto& out = *static_cast<ServerInfo*>(user);
                if (i != nullptr) {
                    out.default_source = i->default_source_name ? i->default_source_name : "";
                    out.default_sink = i->default_sink_name ? i->default_sink_name : "";
                    out.rate_hz = static_cast<int>(i->sample_spec.rate);
                }
            },
            &info);
        return complete(op);
    }

    // With the lock held: every source (inputs = true) or sink.
    bool list(bool inputs, DeviceList& out) {
        return complete(inputs ? pa_context_get_source_info_list(
                                     context, &DeviceList::collect<pa_source_info, true>, &out)
                               : pa_context_get_sink_info_list(
                                     context, &DeviceList::collect<pa_sink_info, false>, &out));
    }
};

namespace {

// The stream callbacks; they run on the mainloop thread with its lock held.
void on_readable(pa_stream* stream, std::size_t /*bytes*/, void* user) {
    auto& c = *static_cast<PulseDevice::Connection*>(user);
    const std::int64_t now_ns = steady_now_ns();
    const void* data = nullptr;
    std::size_t bytes = 0;
    bool first = true;
    while (pa_stream_peek(stream, &data, &bytes) == 0 && bytes > 0) {
        if (c.active) {
            pulse_capture(*c.bridge, data, bytes, now_ns, first);
            first = false;
        }
        pa_stream_drop(stream);
    }
}

void on_writable(pa_stream* stream, std::size_t bytes, void* user) {
    auto& c = *static_cast<PulseDevice::Connection*>(user);
    const std::int64_t now_ns = steady_now_ns();
    while (bytes >= sizeof(std::int16_t)) {
        void* data = nullptr;
        std::size_t n = bytes;
        if (pa_stream_begin_write(stream, &data, &n) < 0 || data == nullptr)
            return;
        n = std::min(n, bytes) / sizeof(std::int16_t) * sizeof(std::int16_t);
        if (n == 0) {
            pa_stream_cancel_write(stream);
            return;
        }
        if (c.active)
            pulse_render(*c.bridge, data, n, now_ns);
        else
            std::memset(data, 0, n);
        pa_stream_write(stream, data, n, nullptr, 0, PA_SEEK_RELATIVE);
        bytes -= n;
    }
}

void on_xrun(pa_stream* /*stream*/, void* user) {
    auto& c = *static_cast<PulseDevice::Connection*>(user);
    if (c.active)
        c.bridge->count_device_xrun();
}

// Finds a source (input) or sink by spec; "" / "default" is the server's default.
Result<std::string> resolve(const std::string& spec, bool input,
                            const std::vector<AudioDeviceInfo>& devices, const ServerInfo& server,
                            std::string* why) {
    if (spec.empty() || spec == "default") {
        const std::string& name = input ? server.default_source : server.default_sink;
        if (name.empty()) {
            if (why)
                *why = std::string("the PulseAudio server has no default ") +
                       (input ? "source (microphone)" : "sink (speaker)") +
                       "; `parley devices` lists them";
            return fail(DeviceError::kNoSuchDevice);
        }
        return name;
    }
    const std::string needle = lower(spec);
    for (const auto& d : devices) {
        const bool right_way = input ? d.max_input_channels > 0 : d.max_output_channels > 0;
        if (!right_way)
            continue;
        const bool match = all_digits(spec)
                               ? std::to_string(d.index) == spec
                               : lower(d.name).find(needle) != std::string::npos ||
                                     lower(d.description).find(needle) != std::string::npos;
        if (match)
            return d.name;
    }
    if (why)
        *why = std::string("no PulseAudio ") + (input ? "source" : "sink") + " matches '" + spec +
               "'; `parley devices` lists them";
    return fail(DeviceError::kNoSuchDevice);
}

}  // namespace

bool pulse_server_available() {
    PulseDevice::Connection c;
    return static_cast<bool>(c.connect(nullptr));
}

Result<std::vector<AudioDeviceInfo>> list_pulse_devices(std::string* why) {
    PulseDevice::Connection c;
    if (auto s = c.connect(why); !s)
        return fail(s.error());
    PulseDevice::Connection::Lock lock(c.loop);
    ServerInfo server;
    DeviceList list;
    if (!c.server_info(server) || !c.list(true, list) || !c.list(false, list)) {
        if (why)
            *why = "the PulseAudio server did not list its devices: " + c.last_error();
        return fail(DeviceError::kBackendFailed);
    }
    for (auto& d : list.devices) {
        d.is_default_input = d.max_input_channels > 0 && d.name == server.default_source;
        d.is_default_output = d.max_output_channels > 0 && d.name == server.default_sink;
    }
    return std::move(list.devices);
}

// ---------------------------------------------------------------------------------------------

PulseDevice::PulseDevice(PulseDeviceOptions options) : options_(std::move(options)) {}

PulseDevice::~PulseDevice() {
    close();
}

Status PulseDevice::open(std::string* why) {
    std::lock_guard lock(control_mutex_);
    if (connection_)
        return fail_with(DeviceError::kInvalidConfig, why, "the audio device is already open");
    return open_locked(options_.sample_rate_hz, why);
}

Status PulseDevice::open_locked(int forced_rate_hz, std::string* why) {
    if (options_.capture_ring_ms <= 0 || options_.render_ring_ms <= 0 ||
        options_.flush_fade_ms <= 0 || options_.latency_ms < 8 || options_.latency_ms > 2000 ||
        (forced_rate_hz != 0 && !dsp::is_valid_rate_hz(forced_rate_hz)))
        return fail_with(DeviceError::kInvalidConfig, why,
                         "invalid audio device options: rate in [1000, 384000] Hz, latency in "
                         "[8, 2000] ms, positive ring and fade lengths");
    auto c = std::make_unique<Connection>();
    if (auto s = c->connect(why); !s)
        return s;
    Connection::Lock lock(c->loop);

    ServerInfo server;
    DeviceList devices;
    if (!c->server_info(server))
        return fail_with(DeviceError::kBackendFailed, why,
                         "the PulseAudio server did not describe itself: " + c->last_error());
    const bool named = !options_.input_device.empty() || !options_.output_device.empty();
    if (named && (!c->list(true, devices) || !c->list(false, devices)))
        return fail_with(DeviceError::kBackendFailed, why,
                         "the PulseAudio server did not list its devices: " + c->last_error());
    auto source = resolve(options_.input_device, true, devices.devices, server, why);
    if (!source)
        return fail(source.error());
    auto sink = resolve(options_.output_device, false, devices.devices, server, why);
    if (!sink)
        return fail(sink.error());
    input_name_ = *source;
    output_name_ = *sink;

    const int rate_hz = forced_rate_hz != 0                     ? forced_rate_hz
                        : dsp::is_valid_rate_hz(server.rate_hz) ? server.rate_hz
                                                                : 48000;
    const pa_sample_spec spec{PA_SAMPLE_S16LE, static_cast<std::uint32_t>(rate_hz), 1};
    pa_channel_map mono;
    pa_channel_map_init_mono(&mono);
    c->record = pa_stream_new(c->context, "parley microphone", &spec, &mono);
    c->playback = pa_stream_new(c->context, "parley speaker", &spec, &mono);
    if (c->record == nullptr || c->playback == nullptr)
        return fail_with(DeviceError::kOpenFailed, why,
                         "cannot create PulseAudio streams: " + c->last_error());
    pa_stream_set_read_callback(c->record, &on_readable, c.get());
    pa_stream_set_overflow_callback(c->record, &on_xrun, c.get());
    pa_stream_set_write_callback(c->playback, &on_writable, c.get());
    pa_stream_set_underflow_callback(c->playback, &on_xrun, c.get());

    // With PA_STREAM_ADJUST_LATENCY the server splits tlength into the sink's own buffer,
    // (tlength - 2 minreq) / 2, and the stream's queue. A quarter for minreq leaves the sink a
    // quarter too: at 80 ms it wakes every 20 ms. (40 ms with minreq 20 left the sink no buffer:
    // it and its monitor then ran in sub-millisecond blocks, waking parley 2000 times a second.)
    const std::uint32_t quarter = ms_to_bytes(std::max(options_.latency_ms / 4, 1), rate_hz);
    const std::uint32_t unset = static_cast<std::uint32_t>(-1);
    const pa_buffer_attr record_attr{unset, unset, unset, unset, quarter};
    const pa_buffer_attr playback_attr{unset, ms_to_bytes(options_.latency_ms, rate_hz), unset,
                                       quarter, unset};
    const auto flags =
        static_cast<pa_stream_flags_t>(PA_STREAM_ADJUST_LATENCY | PA_STREAM_START_CORKED);
    // The defaults are left to the server (null), so the streams follow a default the user
    // changes while talking.
    auto chosen = [](const std::string& spec, const std::string& name) {
        return spec.empty() || spec == "default" ? nullptr : name.c_str();
    };
    if (pa_stream_connect_record(c->record, chosen(options_.input_device, input_name_),
                                 &record_attr, flags) < 0 ||
        pa_stream_connect_playback(c->playback, chosen(options_.output_device, output_name_),
                                   &playback_attr, flags, nullptr, nullptr) < 0)
        return fail_with(DeviceError::kOpenFailed, why,
                         "cannot open PulseAudio device '" + name() + "': " + c->last_error());
    const bool settled = c->wait_for([&] {
        const pa_stream_state_t r = pa_stream_get_state(c->record);
        const pa_stream_state_t p = pa_stream_get_state(c->playback);
        return (r == PA_STREAM_READY && p == PA_STREAM_READY) || !PA_STREAM_IS_GOOD(r) ||
               !PA_STREAM_IS_GOOD(p);
    });
    if (!settled || pa_stream_get_state(c->record) != PA_STREAM_READY ||
        pa_stream_get_state(c->playback) != PA_STREAM_READY)
        return fail_with(DeviceError::kOpenFailed, why,
                         "cannot open PulseAudio device '" + name() +
                             "': " + (settled ? c->last_error() : "no answer within 5 s"));

    // The buffers the server settled on: a recorded fragment waits up to fragsize before it is
    // sent; a sample written waits tlength (sink latency included) before it is heard.
    const pa_buffer_attr* got_record = pa_stream_get_buffer_attr(c->record);
    const pa_buffer_attr* got_playback = pa_stream_get_buffer_attr(c->playback);
    latency_.input = bytes_to_duration(got_record ? got_record->fragsize : quarter, rate_hz);
    latency_.output = bytes_to_duration(
        got_playback ? got_playback->tlength : ms_to_bytes(options_.latency_ms, rate_hz), rate_hz);

    const RtBridgeOptions bridge_options{
        .input_rate_hz = rate_hz,
        .output_rate_hz = rate_hz,
        .capture_ring_ms = options_.capture_ring_ms,
        .render_ring_ms = options_.render_ring_ms,
        .flush_fade_ms = options_.flush_fade_ms,
        .reference_enabled = options_.reference_enabled,
    };
    if (!ensure_bridge(bridge_options))
        return fail_with(DeviceError::kUnsupportedFormat, why,
                         "audio device '" + name() + "' came back at another rate (" +
                             std::to_string(rate_hz) + " Hz); restart the conversation");
    c->bridge = bridge();
    connection_ = std::move(c);
    log::info("audio device: {} (PulseAudio), {} Hz, latency {:.1f}/{:.1f} ms", name(), rate_hz,
              latency_.input.count() / 1000.0, latency_.output.count() / 1000.0);
    return {};
}

Status PulseDevice::start(std::string* why) {
    std::lock_guard lock(control_mutex_);
    return start_locked(why);
}

Status PulseDevice::start_locked(std::string* why) {
    if (!connection_)
        return fail_with(DeviceError::kNotOpen, why,
                         "the audio device is not open: call open() first");
    if (running_.load())
        return {};
    Connection& c = *connection_;
    Connection::Lock lock(c.loop);
    bridge()->mark_started(steady_now_ns());
    c.active = true;
    const bool record_on = c.complete(pa_stream_cork(c.record, 0, nullptr, nullptr));
    const bool playback_on = c.complete(pa_stream_cork(c.playback, 0, nullptr, nullptr));
    if (!record_on || !playback_on) {
        c.active = false;
        return fail_with(DeviceError::kStartFailed, why,
                         "audio device '" + name() + "' would not start: " + c.last_error());
    }
    running_.store(true);
    return {};
}

void PulseDevice::stop() {
    std::lock_guard lock(control_mutex_);
    stop_locked();
}

void PulseDevice::stop_locked() {
    if (connection_) {
        Connection& c = *connection_;
        Connection::Lock lock(c.loop);
        c.active = false;
        if (running_.load() && PA_CONTEXT_IS_GOOD(pa_context_get_state(c.context))) {
            c.complete(pa_stream_cork(c.record, 1, nullptr, nullptr));
            c.complete(pa_stream_cork(c.playback, 1, nullptr, nullptr));
            // What the server still holds would play at the next start.
            c.complete(pa_stream_flush(c.playback, nullptr, nullptr));
        }
    }
    running_.store(false);
}

void PulseDevice::close() {
    std::lock_guard lock(control_mutex_);
    close_locked();
}

void PulseDevice::close_locked() {
    stop_locked();
    connection_.reset();
}

Status PulseDevice::reopen(std::string* why) {
    std::lock_guard lock(control_mutex_);
    if (!bridge())
        return fail_with(DeviceError::kNotOpen, why,
                         "the audio device is not open: call open() first");
    close_locked();
    if (auto s = open_locked(bridge()->options().output_rate_hz, why); !s)
        return s;
    return start_locked(why);
}

std::string PulseDevice::name() const {
    if (input_name_.empty() && output_name_.empty())
        return "pulse (not open)";
    return input_name_ + " / " + output_name_;
}

DeviceLatency PulseDevice::latency() const {
    std::lock_guard lock(control_mutex_);
    return latency_;
}

}  // namespace parley::device

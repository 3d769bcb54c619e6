// SPDX-License-Identifier: Apache-2.0
#include "dsp/wav_file.hpp"

#include <cstdio>
#include <utility>

#include <sndfile.h>

#include "base/check.hpp"
#include "base/log.hpp"
#include "dsp/error.hpp"
#include "dsp/resampler.hpp"

namespace parley::dsp {
namespace {

WavSampleFormat format_of(int sf_format) {
    switch (sf_format & SF_FORMAT_SUBMASK) {
        case SF_FORMAT_PCM_S8:
        case SF_FORMAT_PCM_U8:
            return WavSampleFormat::kPcm8;
        case SF_FORMAT_PCM_16:
            return WavSampleFormat::kPcm16;
        case SF_FORMAT_PCM_24:
            return WavSampleFormat::kPcm24;
        case SF_FORMAT_PCM_32:
            return WavSampleFormat::kPcm32;
        case SF_FORMAT_FLOAT:
            return WavSampleFormat::kFloat;
        case SF_FORMAT_DOUBLE:
            return WavSampleFormat::kDouble;
        default:
            return WavSampleFormat::kOther;
    }
}

bool is_pcm(WavSampleFormat f) {
    return f == WavSampleFormat::kPcm8 || f == WavSampleFormat::kPcm16 ||
           f == WavSampleFormat::kPcm24 || f == WavSampleFormat::kPcm32;
}

std::string channels_name(int channels) {
    if (channels == 1)
        return "mono";
    if (channels == 2)
        return "stereo";
    return std::to_string(channels) + "-channel";
}

std::string describe(const std::string& path, const WavInfo& info) {
    return path + " is " + std::to_string(info.sample_rate_hz) + " Hz " +
           channels_name(info.channels) + " " + to_string(info.format);
}

void set_why(std::string* why, std::string text) {
    if (why != nullptr)
        *why = std::move(text);
}

}  // namespace

const char* to_string(WavSampleFormat format) {
    switch (format) {
        case WavSampleFormat::kPcm8:
            return "8-bit PCM";
        case WavSampleFormat::kPcm16:
            return "16-bit PCM";
        case WavSampleFormat::kPcm24:
            return "24-bit PCM";
        case WavSampleFormat::kPcm32:
            return "32-bit PCM";
        case WavSampleFormat::kFloat:
            return "float";
        case WavSampleFormat::kDouble:
            return "double";
        case WavSampleFormat::kOther:
            break;
    }
    return "compressed or unknown encoding";
}

// --- reader -----------------------------------------------------------------------------------

struct WavReader::Impl {
    SNDFILE* file = nullptr;
    WavInfo info;
    std::string path;
    std::vector<std::int16_t> interleaved;  // read_mono()'s scratch

    ~Impl() {
        if (file != nullptr)
            sf_close(file);
    }
};

WavReader::WavReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WavReader::WavReader(WavReader&&) noexcept = default;
WavReader& WavReader::operator=(WavReader&&) noexcept = default;
WavReader::~WavReader() = default;

Result<WavReader> WavReader::open(const std::string& path, std::string* why) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    SF_INFO sf_info{};
    impl->file = sf_open(path.c_str(), SFM_READ, &sf_info);
    if (impl->file == nullptr) {
        // libsndfile reports a missing file and a file it cannot parse the same way (a null
        // handle); tell them apart by whether the file can be opened at all.
        const std::string reason = sf_strerror(nullptr);
        if (FILE* f = std::fopen(path.c_str(), "rb"); f != nullptr) {
            std::fclose(f);
            set_why(why, path + " is not a WAV file libsndfile can read (" + reason + ")");
            return fail(DspError::kFileUnsupported);
        }
        set_why(why, "cannot open " + path + " (" + reason + ")");
        return fail(DspError::kFileNotFound);
    }
    impl->info.sample_rate_hz = sf_info.samplerate;
    impl->info.channels = sf_info.channels;
    impl->info.format = format_of(sf_info.format);
    impl->info.frames = sf_info.frames > 0 ? static_cast<std::uint64_t>(sf_info.frames) : 0;
    const int container = sf_info.format & SF_FORMAT_TYPEMASK;
    if (container != SF_FORMAT_WAV && container != SF_FORMAT_WAVEX) {
        set_why(why, path + " is not a WAV file; expected integer PCM WAV");
        return fail(DspError::kFileUnsupported);
    }
    if (!is_pcm(impl->info.format)) {
        set_why(why, describe(path, impl->info) + "; expected integer PCM WAV (e.g. 16-bit)");
        return fail(DspError::kFileUnsupported);
    }
    return WavReader(std::move(impl));
}

const WavInfo& WavReader::info() const {
    return impl_->info;
}
const std::string& WavReader::path() const {
    return impl_->path;
}

Status WavReader::expect(int sample_rate_hz, int channels, std::string* why) const {
    if (impl_->info.sample_rate_hz == sample_rate_hz && impl_->info.channels == channels) {
        return {};
    }
    set_why(why, describe(impl_->path, impl_->info) + "; expected " +
                     std::to_string(sample_rate_hz) + " Hz " + channels_name(channels));
    return fail(DspError::kFileUnsupported);
}

Result<std::size_t> WavReader::read(std::span<std::int16_t> interleaved) {
    const auto channels = static_cast<std::size_t>(impl_->info.channels);
    const auto frames = static_cast<sf_count_t>(interleaved.size() / channels);
    if (frames == 0)
        return std::size_t{0};
    const sf_count_t got = sf_readf_short(impl_->file, interleaved.data(), frames);
    if (got < 0)
        return fail(DspError::kFileUnsupported);
    return static_cast<std::size_t>(got) * channels;
}

Result<std::size_t> WavReader::read_mono(std::span<std::int16_t> mono) {
    const auto channels = static_cast<std::size_t>(impl_->info.channels);
    if (channels == 1)
        return read(mono);
    impl_->interleaved.resize(mono.size() * channels);
    const auto got = read(impl_->interleaved);
    if (!got)
        return fail(got.error());
    const std::size_t frames = *got / channels;
    for (std::size_t f = 0; f < frames; ++f) {
        int sum = 0;
        for (std::size_t c = 0; c < channels; ++c) sum += impl_->interleaved[f * channels + c];
        mono[f] = static_cast<std::int16_t>(sum / static_cast<int>(channels));
    }
    return frames;
}

Result<std::vector<std::int16_t>> WavReader::read_all_mono(int rate_hz) {
    if (!is_valid_rate_hz(rate_hz))
        return fail(DspError::kInvalidRate);
    std::vector<std::int16_t> mono;
    mono.reserve(static_cast<std::size_t>(impl_->info.frames));
    std::vector<std::int16_t> block(4096);
    for (;;) {
        auto got = read_mono(block);
        if (!got)
            return fail(got.error());
        if (*got == 0)
            break;
        mono.insert(mono.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(*got));
    }
    if (impl_->info.sample_rate_hz == rate_hz)
        return mono;
    if (!is_valid_rate_hz(impl_->info.sample_rate_hz))
        return fail(DspError::kFileUnsupported);
    return resample(mono, impl_->info.sample_rate_hz, rate_hz);
}

// --- writer -----------------------------------------------------------------------------------

struct WavWriter::Impl {
    SNDFILE* file = nullptr;
    int channels = 0;
    std::uint64_t frames = 0;
    std::vector<std::int16_t> gathered;  // interleaved, not yet in the file
    std::size_t gather_samples = 0;      // write to the file once this many are gathered

    bool write_gathered() {
        const auto frames_out = static_cast<sf_count_t>(gathered.size()) / channels;
        const bool ok = frames_out == 0 ||
                        sf_writef_short(file, gathered.data(), frames_out) == frames_out;
        gathered.clear();
        return ok;
    }

    ~Impl() {
        if (file != nullptr) {
            (void)write_gathered();
            sf_close(file);
        }
    }
};

WavWriter::WavWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WavWriter::WavWriter(WavWriter&&) noexcept = default;
WavWriter& WavWriter::operator=(WavWriter&&) noexcept = default;
WavWriter::~WavWriter() = default;

Result<WavWriter> WavWriter::create(const std::string& path, int sample_rate_hz, int channels) {
    if (!is_valid_rate_hz(sample_rate_hz))
        return fail(DspError::kInvalidRate);
    if (channels != 1 && channels != 2)
        return fail(DspError::kInvalidArgument);
    SF_INFO sf_info{};
    sf_info.samplerate = sample_rate_hz;
    sf_info.channels = channels;
    sf_info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    auto impl = std::make_unique<Impl>();
    impl->channels = channels;
    impl->gather_samples = static_cast<std::size_t>(sample_rate_hz / 10 * channels);
    impl->gathered.reserve(impl->gather_samples);
    impl->file = sf_open(path.c_str(), SFM_WRITE, &sf_info);
    if (impl->file == nullptr) {
        // The caller names the path in its own error; this is the library's detail.
        log::debug("cannot create {}: {}", path, sf_strerror(nullptr));
        return fail(DspError::kFileOpenForWriteFailed);
    }
    // Rewrite the header's sizes after every write to the file: a crash loses nothing written.
    sf_command(impl->file, SFC_SET_UPDATE_HEADER_AUTO, nullptr, SF_TRUE);
    return WavWriter(std::move(impl));
}

Status WavWriter::write(std::span<const std::int16_t> interleaved) {
    if (impl_->file == nullptr)
        return fail(DspError::kFileWriteFailed);
    const auto channels = static_cast<std::size_t>(impl_->channels);
    PARLEY_DCHECK(interleaved.size() % channels == 0);
    impl_->gathered.insert(impl_->gathered.end(), interleaved.begin(), interleaved.end());
    impl_->frames += interleaved.size() / channels;
    if (impl_->gathered.size() >= impl_->gather_samples && !impl_->write_gathered())
        return fail(DspError::kFileWriteFailed);
    return {};
}

Status WavWriter::close() {
    if (impl_->file == nullptr)
        return {};
    const bool wrote = impl_->write_gathered();
    const int rc = sf_close(impl_->file);
    impl_->file = nullptr;
    if (!wrote || rc != 0)
        return fail(DspError::kFileWriteFailed);
    return {};
}

std::uint64_t WavWriter::frames_written() const {
    return impl_->frames;
}

Result<std::vector<std::int16_t>> read_wav_mono(const std::string& path, int rate_hz,
                                                std::string* why) {
    auto reader = WavReader::open(path, why);
    if (!reader)
        return fail(reader.error());
    return reader->read_all_mono(rate_hz);
}

Status write_wav_mono(const std::string& path, std::span<const std::int16_t> samples,
                      int sample_rate_hz) {
    auto writer = WavWriter::create(path, sample_rate_hz, 1);
    if (!writer)
        return fail(writer.error());
    if (auto status = writer->write(samples); !status)
        return status;
    return writer->close();
}

}  // namespace parley::dsp

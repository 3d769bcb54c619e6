// SPDX-License-Identifier: Apache-2.0
// WavReader and WavWriter: PCM WAV files over libsndfile (wav_file.cpp is the only file that
// includes sndfile.h). The reader reports rate, channels and sample format, refuses anything but
// integer PCM WAV with a one-line reason, and can hand back mono PCM16 at a requested rate. The
// writer writes mono or stereo PCM16 and keeps the header valid after every write, so a crash
// keeps the audio. Used by the WAV-file device, the CLI and tests; blocking file I/O, so never
// on rt. Each object has one owner.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace parley::dsp {

enum class WavSampleFormat { kPcm8, kPcm16, kPcm24, kPcm32, kFloat, kDouble, kOther };

struct WavInfo {
    int sample_rate_hz = 0;
    int channels = 0;
    WavSampleFormat format = WavSampleFormat::kOther;
    std::uint64_t frames = 0;  // samples per channel
};

// "16-bit PCM", "float", ...
[[nodiscard]] const char* to_string(WavSampleFormat format);

class WavReader {
public:
    // Opens `path`. Errors: kFileNotFound (missing or unreadable), kFileUnsupported (not a WAV
    // file, or not integer PCM). When `why` is given it receives a one-line reason, e.g.
    // "x.wav is 44100 Hz stereo float; expected integer PCM WAV".
    [[nodiscard]] static Result<WavReader> open(const std::string& path,
                                                std::string* why = nullptr);

    WavReader(WavReader&&) noexcept;
    WavReader& operator=(WavReader&&) noexcept;
    WavReader(const WavReader&) = delete;
    WavReader& operator=(const WavReader&) = delete;
    ~WavReader();

    [[nodiscard]] const WavInfo& info() const;
    [[nodiscard]] const std::string& path() const;

    // Succeeds when the file has this rate and channel count. Errors: kFileUnsupported, with
    // `why` like "x.wav is 44100 Hz stereo 16-bit PCM; expected 16000 Hz mono".
    [[nodiscard]] Status expect(int sample_rate_hz, int channels, std::string* why = nullptr) const;

    // Reads up to interleaved.size() / channels frames as interleaved PCM16 (libsndfile scales
    // 8/24/32-bit); returns the number of samples (frames * channels) read, 0 at the end.
    [[nodiscard]] Result<std::size_t> read(std::span<std::int16_t> interleaved);

    // Reads up to mono.size() frames with their channels averaged; returns the number of frames
    // read, 0 at the end.
    [[nodiscard]] Result<std::size_t> read_mono(std::span<std::int16_t> mono);

    // Reads the rest of the file as mono PCM16 at `rate_hz`: channels averaged, then resampled
    // (soxr HQ) if the rate differs. Errors: kInvalidRate, kFileUnsupported (read failure).
    [[nodiscard]] Result<std::vector<std::int16_t>> read_all_mono(int rate_hz);

private:
    struct Impl;
    explicit WavReader(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

class WavWriter {
public:
    // Creates (or truncates) `path` as 16-bit PCM WAV. Errors: kInvalidRate, kInvalidArgument
    // (channels not 1 or 2), kFileOpenForWriteFailed.
    [[nodiscard]] static Result<WavWriter> create(const std::string& path, int sample_rate_hz,
                                                  int channels);

    WavWriter(WavWriter&&) noexcept;
    WavWriter& operator=(WavWriter&&) noexcept;
    WavWriter(const WavWriter&) = delete;
    WavWriter& operator=(const WavWriter&) = delete;
    ~WavWriter();  // closes

    // Appends interleaved samples (precondition: a whole number of frames). They reach the file,
    // and the header is rewritten, once 100 ms have gathered: the file is always valid, and a
    // process that dies loses at most its last 100 ms (a write per 10 ms frame would cost four
    // system calls and a journalled inode update each). Errors: kFileWriteFailed, possibly for
    // audio given to an earlier call (also after close()).
    [[nodiscard]] Status write(std::span<const std::int16_t> interleaved);

    // Writes what is gathered, flushes and closes; later writes fail. Idempotent.
    Status close();

    [[nodiscard]] std::uint64_t frames_written() const;

private:
    struct Impl;
    explicit WavWriter(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Convenience: the whole file as mono PCM16 at `rate_hz` (WavReader::open + read_all_mono).
[[nodiscard]] Result<std::vector<std::int16_t>> read_wav_mono(const std::string& path, int rate_hz,
                                                              std::string* why = nullptr);

// Convenience: writes `samples` (mono) to a new PCM16 WAV file.
[[nodiscard]] Status write_wav_mono(const std::string& path, std::span<const std::int16_t> samples,
                                    int sample_rate_hz);

}  // namespace parley::dsp

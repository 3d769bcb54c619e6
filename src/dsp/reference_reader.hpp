// SPDX-License-Identifier: Apache-2.0
// ReferenceReader: takes the echo canceller's reference (what the speaker played) off the
// device's reference ring, one block per 10 ms capture block, and resamples it to 16 kHz. When
// capture and playback run on clocks of their own, the speaker's 10 ms is not the microphone's:
// the reader then follows the capture clock, so the reference stays aligned with the echo for
// hours. It reads (1 + ppm * 1e-6) blocks' worth each time and resamples that back to 10 ms at a
// variable ratio, steering ppm with a PI controller on the reference's backlog over the capture
// (the caller measures it, steer()). The backlog it holds is the one it found once it settled,
// raised at once where that was too little to keep every read whole. Dsp thread only; allocates
// only when `out` grows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/result.hpp"
#include "dsp/frame_ring.hpp"
#include "dsp/resampler.hpp"

namespace parley::dsp {

class ReferenceReader {
public:
    // A reader of a ring at `ring_rate_hz`. follow_capture_clock: the two streams have separate
    // clocks (costs a variable-ratio resampler). Errors: as Resampler::create.
    [[nodiscard]] static Result<ReferenceReader> create(int ring_rate_hz,
                                                        bool follow_capture_clock);

    // Ring samples the next read takes: 10 ms at the ring's rate, adjusted by the correction.
    [[nodiscard]] std::size_t next_block_samples() const { return next_block_; }
    // Takes the next block off `ring` (silence where the ring ran short) and appends its 16 kHz
    // resampling to `out`, or only drops it when `out` is null. Returns the samples the ring had.
    std::size_t read(FrameRing& ring, std::vector<std::int16_t>* out);
    // Feeds the controller after a read: how far the reference ring's content reaches beyond the
    // capture ring's, in ms (backlog_ms() computes it from the rings and the streams' last
    // callback times), and the least backlog that never leaves a read short whatever the phase
    // of the two streams' callbacks (a playback callback's length plus a capture callback's, and
    // their jitter). Ignored unless following the capture clock.
    void steer(double backlog_ms, double min_backlog_ms);

    [[nodiscard]] bool follows_capture_clock() const { return follow_; }
    // The correction now applied, in ppm (> 0: the reference is read faster than nominal).
    [[nodiscard]] double correction_ppm() const { return ppm_; }
    // The backlog the controller holds, once it has settled on one.
    [[nodiscard]] std::optional<double> target_backlog_ms() const { return target_ms_; }

    // The reference's backlog over the capture, in ms: what both rings hold unread, each counted
    // back from its stream's last callback. Invariant under when it is measured between
    // callbacks, so it moves only when the clocks drift (or a stream skips).
    [[nodiscard]] static double backlog_ms(std::size_t reference_unread, int reference_rate_hz,
                                           std::int64_t last_render_ns, std::size_t capture_unread,
                                           int capture_rate_hz, std::int64_t last_capture_ns);

private:
    ReferenceReader(Resampler resampler, int ring_rate_hz, bool follow);

    // Least-squares line through (block, backlog) points.
    struct LineFit {
        double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        void add(double x, double y);
        [[nodiscard]] double slope() const;
    };

    Resampler resampler_;
    int ring_rate_hz_;
    bool follow_;
    std::size_t nominal_block_;
    std::size_t next_block_;
    std::vector<std::int16_t> block_;
    double fraction_ = 0.0;  // of a sample, carried to the next block
    double ppm_ = 0.0;
    double integral_ppm_ = 0.0;
    std::optional<double> smoothed_ms_;
    std::optional<double> target_ms_;
    int settling_blocks_ = 0;
    std::size_t hold_samples_ = 0;  // silence still to read in place of the ring's audio
    double shortfall_ms_ = 0.0;     // silence read so far for want of audio in the ring
    LineFit settling_fit_;
};

}  // namespace parley::dsp

// SPDX-License-Identifier: Apache-2.0
#include "dsp/resampler.hpp"

#include <cmath>
#include <utility>

#include <soxr.h>

#include "base/check.hpp"
#include "base/log.hpp"
#include "dsp/error.hpp"

namespace parley::dsp {

struct Resampler::Impl {
    int rate_in_hz = 0;
    int rate_out_hz = 0;
    bool variable_ratio = false;
    double max_ratio_adjust_ppm = 0.0;
    double ratio_adjust_ppm = 0.0;
    soxr_t soxr = nullptr;  // null when the rates are equal and the ratio fixed: a plain copy

    ~Impl() {
        if (soxr != nullptr)
            soxr_delete(soxr);
    }

    [[nodiscard]] double nominal_io_ratio() const {
        return static_cast<double>(rate_in_hz) / static_cast<double>(rate_out_hz);
    }

    [[nodiscard]] double io_ratio() const {
        return nominal_io_ratio() * (1.0 + ratio_adjust_ppm * 1e-6);
    }

    // Output room for `in_samples` more input: the ratio plus slack for what soxr holds inside.
    [[nodiscard]] std::size_t room_for(std::size_t in_samples) const {
        return static_cast<std::size_t>(static_cast<double>(in_samples) / io_ratio() * 1.01) + 256;
    }
};

Resampler::Resampler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Resampler::Resampler(Resampler&&) noexcept = default;
Resampler& Resampler::operator=(Resampler&&) noexcept = default;
Resampler::~Resampler() = default;

Result<Resampler> Resampler::create(int rate_in_hz, int rate_out_hz) {
    return create(rate_in_hz, rate_out_hz, ResamplerOptions{});
}

Result<Resampler> Resampler::create(int rate_in_hz, int rate_out_hz,
                                    const ResamplerOptions& options) {
    if (!is_valid_rate_hz(rate_in_hz) || !is_valid_rate_hz(rate_out_hz)) {
        return fail(DspError::kInvalidRate);
    }
    if (options.variable_ratio &&
        !(options.max_ratio_adjust_ppm > 0.0 && options.max_ratio_adjust_ppm <= 100000.0)) {
        return fail(DspError::kInvalidArgument);
    }
    auto impl = std::make_unique<Impl>();
    impl->rate_in_hz = rate_in_hz;
    impl->rate_out_hz = rate_out_hz;
    impl->variable_ratio = options.variable_ratio;
    impl->max_ratio_adjust_ppm = options.max_ratio_adjust_ppm;
    if (rate_in_hz == rate_out_hz && !options.variable_ratio) {
        return Resampler(std::move(impl));
    }

    // Integer samples in and out; no dither, so the output is a deterministic function of the
    // input (chunked streaming equals one-shot processing, bit for bit).
    soxr_io_spec_t io_spec = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
    io_spec.flags |= SOXR_NO_DITHER;
    const soxr_quality_spec_t quality =
        soxr_quality_spec(SOXR_HQ, options.variable_ratio ? SOXR_VR : 0);
    const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);  // dsp owns no threads
    // In variable-rate mode soxr takes the largest io ratio it will ever be asked for as the
    // ratio of the two rates given here (soxr example 5-variable-rate.c).
    const double create_in_hz = options.variable_ratio
                                    ? rate_in_hz * (1.0 + options.max_ratio_adjust_ppm * 1e-6)
                                    : rate_in_hz;
    soxr_error_t error = nullptr;
    impl->soxr = soxr_create(create_in_hz, rate_out_hz, 1, &error, &io_spec, &quality, &runtime);
    if (error != nullptr || impl->soxr == nullptr) {
        log::error("soxr_create({} Hz -> {} Hz) failed: {}", rate_in_hz, rate_out_hz,
                   soxr_strerror(error));
        return fail(DspError::kResamplerFailed);
    }
    if (options.variable_ratio) {
        error = soxr_set_io_ratio(impl->soxr, impl->io_ratio(), 0);
        if (error != nullptr) {
            log::error("soxr_set_io_ratio failed: {}", soxr_strerror(error));
            return fail(DspError::kResamplerFailed);
        }
    }
    return Resampler(std::move(impl));
}

void Resampler::process(std::span<const std::int16_t> in, std::vector<std::int16_t>& out) {
    PARLEY_DCHECK(impl_ != nullptr);
    if (in.empty())
        return;
    if (impl_->soxr == nullptr) {
        out.insert(out.end(), in.begin(), in.end());
        return;
    }
    std::size_t consumed = 0;
    int idle_rounds = 0;
    // soxr may take less input than offered when the output room runs out; loop until it has
    // taken everything and left room unused (so nothing ready is left inside).
    for (;;) {
        const std::size_t room = impl_->room_for(in.size() - consumed);
        const std::size_t old_size = out.size();
        out.resize(old_size + room);
        std::size_t idone = 0;
        std::size_t odone = 0;
        const soxr_error_t error =
            soxr_process(impl_->soxr, in.data() + consumed, in.size() - consumed, &idone,
                         out.data() + old_size, room, &odone);
        out.resize(old_size + odone);
        consumed += idone;
        if (error != nullptr) {
            log::error("soxr_process failed: {}", soxr_strerror(error));
            return;
        }
        if (consumed == in.size() && odone < room)
            return;
        idle_rounds = (idone == 0 && odone == 0) ? idle_rounds + 1 : 0;
        if (idle_rounds > 2) {
            log::error("soxr_process made no progress; {} input samples dropped",
                       in.size() - consumed);
            return;
        }
    }
}

void Resampler::flush(std::vector<std::int16_t>& out) {
    PARLEY_DCHECK(impl_ != nullptr);
    if (impl_->soxr == nullptr)
        return;
    for (;;) {
        const std::size_t room = 4096;
        const std::size_t old_size = out.size();
        out.resize(old_size + room);
        std::size_t odone = 0;
        // A null input tells soxr the stream has ended, so it drains its filter.
        const soxr_error_t error =
            soxr_process(impl_->soxr, nullptr, 0, nullptr, out.data() + old_size, room, &odone);
        out.resize(old_size + odone);
        if (error != nullptr) {
            log::error("soxr_process (flush) failed: {}", soxr_strerror(error));
            break;
        }
        if (odone == 0)
            break;
    }
    if (soxr_error_t error = soxr_clear(impl_->soxr); error != nullptr) {
        log::error("soxr_clear failed: {}", soxr_strerror(error));
    }
    if (impl_->variable_ratio) {
        // soxr_clear resets the variable ratio too; restore the current adjustment.
        if (soxr_error_t error = soxr_set_io_ratio(impl_->soxr, impl_->io_ratio(), 0);
            error != nullptr) {
            log::error("soxr_set_io_ratio failed: {}", soxr_strerror(error));
        }
    }
}

Status Resampler::set_ratio_adjust(double ppm) {
    PARLEY_DCHECK(impl_ != nullptr);
    if (!impl_->variable_ratio)
        return fail(DspError::kNotVariableRate);
    if (!(std::abs(ppm) <= impl_->max_ratio_adjust_ppm))
        return fail(DspError::kInvalidArgument);
    impl_->ratio_adjust_ppm = ppm;
    // Glide over 10 ms of output so the change itself makes no click.
    const auto slew_samples = static_cast<std::size_t>(impl_->rate_out_hz / 100);
    if (soxr_error_t error = soxr_set_io_ratio(impl_->soxr, impl_->io_ratio(), slew_samples);
        error != nullptr) {
        log::error("soxr_set_io_ratio failed: {}", soxr_strerror(error));
        return fail(DspError::kResamplerFailed);
    }
    return {};
}

int Resampler::rate_in_hz() const {
    return impl_->rate_in_hz;
}
int Resampler::rate_out_hz() const {
    return impl_->rate_out_hz;
}

double Resampler::delay_samples() const {
    return impl_->soxr == nullptr ? 0.0 : soxr_delay(impl_->soxr);
}

std::vector<std::int16_t> resample(std::span<const std::int16_t> in, int rate_in_hz,
                                   int rate_out_hz) {
    PARLEY_DCHECK(is_valid_rate_hz(rate_in_hz) && is_valid_rate_hz(rate_out_hz));
    auto resampler = Resampler::create(rate_in_hz, rate_out_hz);
    PARLEY_DCHECK(resampler.has_value());
    if (!resampler)
        return {};
    std::vector<std::int16_t> out;
    out.reserve(
        static_cast<std::size_t>(static_cast<double>(in.size()) * rate_out_hz / rate_in_hz) + 64);
    resampler->process(in, out);
    resampler->flush(out);
    return out;
}

}  // namespace parley::dsp

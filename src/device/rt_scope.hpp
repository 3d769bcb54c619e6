// SPDX-License-Identifier: Apache-2.0
// RtScope: marks the calling thread as "inside the real-time audio callback" for as long as the
// object lives. Every callback entry point (the PortAudio callback, the simulated devices' driver
// step) opens one, so the rt-safety test can trap allocation, frees and mutex locks made from rt.
// Cost: two stores to a thread_local bool. rt (and the simulated devices' driver thread).
#pragma once

namespace parley::device {

// True while the calling thread runs device callback code. Safe to call from malloc hooks: it
// touches only a thread_local bool (initial-exec TLS, no allocation).
[[nodiscard]] bool in_rt_callback() noexcept;

class RtScope {
public:
    RtScope() noexcept;
    ~RtScope();
    RtScope(const RtScope&) = delete;
    RtScope& operator=(const RtScope&) = delete;

private:
    bool was_in_rt_;
};

}  // namespace parley::device

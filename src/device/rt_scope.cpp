// SPDX-License-Identifier: Apache-2.0
#include "device/rt_scope.hpp"

namespace parley::device {
namespace {
// initial-exec: reading it never calls __tls_get_addr (which may allocate), so the allocation
// hooks of the rt-safety test can read it from inside malloc.
thread_local bool t_in_rt_callback __attribute__((tls_model("initial-exec"))) = false;
}  // namespace

bool in_rt_callback() noexcept {
    return t_in_rt_callback;
}

RtScope::RtScope() noexcept : was_in_rt_(t_in_rt_callback) {
    t_in_rt_callback = true;
}

RtScope::~RtScope() {
    t_in_rt_callback = was_in_rt_;
}

}  // namespace parley::device

// SPDX-License-Identifier: Apache-2.0
// Result<T>: a value or a std::error_code, the return type of every operation that can fail
// for reasons outside the program (network, files, devices, peers). Same API as C++23's
// std::expected, so the later move is a rename. Any context.
#pragma once

#include <system_error>

#include <tl/expected.hpp>

namespace parley {

template <typename T>
using Result = tl::expected<T, std::error_code>;

using Status = Result<void>;

// The failure value for a Result: `return fail(ProtocolError::kNotJson);`.
template <typename E>
    requires std::is_error_code_enum_v<E>
[[nodiscard]] inline tl::unexpected<std::error_code> fail(E code) {
    return tl::unexpected<std::error_code>(make_error_code(code));
}

[[nodiscard]] inline tl::unexpected<std::error_code> fail(std::error_code code) {
    return tl::unexpected<std::error_code>(code);
}

}  // namespace parley

# SPDX-License-Identifier: Apache-2.0
# Compiler warnings and sanitizers, applied to every Parley target through parley_warnings.
add_library(parley_warnings INTERFACE)
target_compile_options(parley_warnings INTERFACE -Wall -Wextra -Wpedantic)
if(PARLEY_WERROR)
  target_compile_options(parley_warnings INTERFACE -Werror)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_options(parley_warnings INTERFACE -Wthread-safety)
endif()
# PARLEY_DCHECK stays active in every build we test.
target_compile_definitions(parley_warnings INTERFACE PARLEY_ENABLE_DCHECK=1)

# Every test binary links Boost.Beast and its debug info: uncompressed, one build directory
# took 8 to 14 GB and a CI machine ran out of disk. Compressed in objects and binaries alike.
add_compile_options(-gz)
add_link_options(-gz)

# Full debug info is about a third of the optimised build's compile time (Beast's templates):
# CI keeps line tables only, which is all that sanitizer reports and backtraces need.
option(PARLEY_DEBUG_LINES_ONLY "Debug info as line tables only (-g1)" OFF)
if(PARLEY_DEBUG_LINES_ONLY)
  add_compile_options(-g1)
endif()

if(PARLEY_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(PARLEY_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(PARLEY_SANITIZE)
  message(FATAL_ERROR "PARLEY_SANITIZE must be address, thread or empty, not '${PARLEY_SANITIZE}'")
endif()

# SPDX-License-Identifier: Apache-2.0
# parley_add_library(<layer> SOURCES ... DEPS ...): the library parley_<layer>, static unless
# PARLEY_SHARED_LAYERS. Sources are included as "layer/file.hpp" from src/.
function(parley_add_library layer)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  if(PARLEY_SHARED_LAYERS)
    add_library(parley_${layer} SHARED ${ARG_SOURCES})
  else()
    add_library(parley_${layer} STATIC ${ARG_SOURCES})
  endif()
  target_include_directories(parley_${layer} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(parley_${layer} PUBLIC ${ARG_DEPS} PRIVATE parley_warnings ${ARG_PRIVATE_DEPS})
endfunction()

# parley_add_test(<name> SOURCES ... LIBS ... [LABELS ...] [TIMEOUT s] [ENVIRONMENT VAR=value]):
# a GoogleTest binary registered with CTest test by test.
# LABELS (one): "unit" (default), "realtime" (paces audio in real time; left out of sanitizer
# runs), "slow".
function(parley_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT;ENVIRONMENT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main
                        parley_warnings)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  # One label per binary: gtest_discover_tests splits a list value into separate properties.
  if(ARG_LABELS)
    list(LENGTH ARG_LABELS label_count)
    if(label_count GREATER 1)
      message(FATAL_ERROR "parley_add_test(${name}): give one label, not ${ARG_LABELS}")
    endif()
    set(label ${ARG_LABELS})
  else()
    set(label unit)
  endif()
  set(environment)
  if(ARG_ENVIRONMENT)
    set(environment ENVIRONMENT "${ARG_ENVIRONMENT}")
  endif()
  gtest_discover_tests(${name}
    PROPERTIES LABELS ${label} TIMEOUT ${ARG_TIMEOUT} ${environment}
    DISCOVERY_TIMEOUT 60)
endfunction()
include(GoogleTest)

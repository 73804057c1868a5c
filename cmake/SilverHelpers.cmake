# silver_test(NAME SOURCES ... [LIBS ...] [TIMEOUT s] [LABELS ...])
# One CTest entry per test file, each with a timeout (STYLE.md, "Tests").
function(silver_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "SILVER_BIN=${CMAKE_BINARY_DIR}/bin;SILVER_SRC=${CMAKE_SOURCE_DIR};SILVER_VECTORS=${CMAKE_SOURCE_DIR}/tests/vectors")
  if(T_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()

# silver_shell_test(NAME SCRIPT [TIMEOUT s] [LABELS ...]): a shell test that drives the real programs.
function(silver_shell_test name script)
  cmake_parse_arguments(T "" "TIMEOUT" "LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND bash ${script})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "SILVER_BIN=${CMAKE_BINARY_DIR}/bin;SILVER_SRC=${CMAKE_SOURCE_DIR};SILVER_BUILD=${CMAKE_BINARY_DIR};LANG=C.UTF-8;LC_ALL=C.UTF-8")
  if(T_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()

# SILVER_FUZZ: clang only.  Every library and program is built with libFuzzer's
# coverage instrumentation (-fsanitize=fuzzer-no-link) so that the fuzz
# targets in tests/fuzz/ are guided by coverage inside proto/ and node/, not
# only inside the target's own file; each fuzz target adds -fsanitize=fuzzer
# (libFuzzer's main) itself.  tools/bootstrap.sh --fuzz also turns on
# SILVER_SANITIZE so that the fuzzers find memory errors, not only crashes.
if(SILVER_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SILVER_FUZZ=ON needs clang (libFuzzer): configure a fresh build tree with "
      "CC=clang, or run tools/bootstrap.sh --fuzz")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
  add_link_options(-fsanitize=fuzzer-no-link)
endif()

# bench_audit (docs/AUDIT.md, "Speed and memory"): silver-audit's rate
# against the two-core Ed25519 verify rate measured in the same run, and
# its peak memory.  Small under CTest (label "bench"); full size with
# SILVER_BENCH_SCALE=full.  Figures are printed, never enforced.
add_executable(bench_audit ${CMAKE_CURRENT_LIST_DIR}/bench_audit.c)
target_link_libraries(bench_audit PRIVATE silver_audit PkgConfig::SODIUM Threads::Threads)
set_target_properties(bench_audit PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
add_test(NAME bench_audit COMMAND bench_audit)
set_tests_properties(bench_audit PROPERTIES TIMEOUT 300 LABELS bench
  ENVIRONMENT "SILVER_BIN=${CMAKE_BINARY_DIR}/bin;SILVER_SRC=${CMAKE_SOURCE_DIR};LANG=C.UTF-8;LC_ALL=C.UTF-8")

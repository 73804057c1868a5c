# bench_sync (tests/bench/README.md): replication over ZeroMQ with a real hub
# process.  Included from tests/integration/sync.cmake.  Label "bench": small
# sizes under CTest, SILVER_BENCH_SCALE=full for the real ones.
add_executable(bench_sync ${CMAKE_CURRENT_LIST_DIR}/bench_sync.c ${CMAKE_CURRENT_LIST_DIR}/bench_common.c)
target_link_libraries(bench_sync PRIVATE silver_sync PkgConfig::SODIUM Threads::Threads)
set_target_properties(bench_sync PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
add_dependencies(bench_sync silvernode silvernode-net)
add_test(NAME bench_sync COMMAND bench_sync)
set_tests_properties(bench_sync PROPERTIES TIMEOUT 600 LABELS bench
  ENVIRONMENT "SILVER_BIN=${CMAKE_BINARY_DIR}/bin;SILVER_SRC=${CMAKE_SOURCE_DIR};LANG=C.UTF-8;LC_ALL=C.UTF-8")

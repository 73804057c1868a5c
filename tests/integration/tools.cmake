# The hub's tools (issue 6): silver-stats and silver-review.  Included by
# tests/CMakeLists.txt.  The property test links the statistics library
# (tools/stats_report.c) and the store test helpers; the shell tests drive
# the real programs; render_report opens the HTML report in headless
# Chromium (SKIPPED when chromium is not installed); bench_stats is a
# benchmark (label bench, left out of tests/run.sh's default run).
set(_td ${CMAKE_CURRENT_LIST_DIR})
silver_test(test_stats_property
  SOURCES ${_td}/../unit/test_stats_property.c ${_td}/../unit/testutil.c
  LIBS silver_stats PkgConfig::SODIUM LABELS tools TIMEOUT 900)
target_include_directories(test_stats_property PRIVATE ${_td}/../unit)

silver_shell_test(test_stats ${_td}/test_stats.sh LABELS tools TIMEOUT 300)
silver_shell_test(test_review ${_td}/test_review.sh LABELS tools TIMEOUT 300)
silver_shell_test(render_report ${_td}/render_report.sh LABELS tools TIMEOUT 300)

add_executable(bench_stats ${_td}/../bench/bench_stats.c ${_td}/../bench/bench_common.c)
target_link_libraries(bench_stats PRIVATE silver_node PkgConfig::SODIUM Threads::Threads)
target_include_directories(bench_stats PRIVATE ${_td}/../bench)
set_target_properties(bench_stats PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
add_dependencies(bench_stats silver-stats)
add_test(NAME bench_stats COMMAND bench_stats)
set_tests_properties(bench_stats PROPERTIES TIMEOUT 3600 LABELS bench
  ENVIRONMENT "SILVER_BIN=${CMAKE_BINARY_DIR}/bin;SILVER_SRC=${CMAKE_SOURCE_DIR};LANG=C.UTF-8;LC_ALL=C.UTF-8")
# A retiree moved to another township: signed, verified by both offices, counted once.
silver_shell_test(test_transfer ${_td}/test_transfer.sh LABELS tools TIMEOUT 180)

# Benchmarks (tests/bench/README.md).  Each prints figures and exits 0 unless
# something breaks; none passes or fails on time.  Built into
# ${CMAKE_BINARY_DIR}/bench and registered with the label "bench" so that
# tests/run.sh can leave them out (ctest -LE '^bench$').  Under CTest they
# run at small sizes; tests/bench/run.sh BUILD_DIR runs them at full size
# (SILVER_BENCH_SCALE=full).
foreach(b import edit show bundle)
  add_executable(bench_${b} ${CMAKE_CURRENT_LIST_DIR}/bench_${b}.c ${CMAKE_CURRENT_LIST_DIR}/bench_common.c)
  target_link_libraries(bench_${b} PRIVATE silver_node PkgConfig::SODIUM Threads::Threads)
  set_target_properties(bench_${b} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
  add_dependencies(bench_${b} silvernode)
  add_test(NAME bench_${b} COMMAND bench_${b})
  set_tests_properties(bench_${b} PROPERTIES TIMEOUT 300 LABELS bench
    ENVIRONMENT "SILVER_BIN=${CMAKE_BINARY_DIR}/bin;SILVER_SRC=${CMAKE_SOURCE_DIR};LANG=C.UTF-8;LC_ALL=C.UTF-8")
endforeach()

# The workbench's pages (docs/WEB.md, "Performance"), rendered in-process.
add_executable(bench_web ${CMAKE_CURRENT_LIST_DIR}/bench_web.c ${CMAKE_CURRENT_LIST_DIR}/bench_common.c)
target_link_libraries(bench_web PRIVATE silver_web silver_node PkgConfig::SODIUM Threads::Threads)
set_target_properties(bench_web PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
add_dependencies(bench_web silvernode)
add_test(NAME bench_web COMMAND bench_web)
set_tests_properties(bench_web PROPERTIES TIMEOUT 300 LABELS bench
  ENVIRONMENT "SILVER_BIN=${CMAKE_BINARY_DIR}/bin;SILVER_SRC=${CMAKE_SOURCE_DIR};LANG=C.UTF-8;LC_ALL=C.UTF-8")

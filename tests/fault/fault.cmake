# Fault injection (docs/STORE.md, "Faults"): an LD_PRELOAD library that makes
# one chosen write, fsync or allocation fail, and a test that runs each
# command once per call, checking a clear error and a store that audits
# clean with nothing half applied.  About a minute on two cores.
set(_fd ${CMAKE_CURRENT_LIST_DIR})
add_library(silver_faultinj SHARED ${_fd}/faultinj.c)
add_library(silver_faultinj_alloc SHARED ${_fd}/faultinj.c)
target_compile_definitions(silver_faultinj_alloc PRIVATE SILVER_FI_ALLOC)
foreach(t silver_faultinj silver_faultinj_alloc)
  target_link_libraries(${t} PRIVATE ${CMAKE_DL_LIBS})
  # The library runs inside the programs it tests: never instrumented itself.
  target_compile_options(${t} PRIVATE -fno-sanitize=all)
  target_link_options(${t} PRIVATE -fno-sanitize=all)
  set_target_properties(${t} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
endforeach()
silver_shell_test(fault_inject ${_fd}/test_fault_inject.sh
  TIMEOUT 600 LABELS fault integration)
set_property(TEST fault_inject APPEND PROPERTY REQUIRED_FILES ${CMAKE_BINARY_DIR}/bin/silvernode
  ${CMAKE_BINARY_DIR}/tests/libsilver_faultinj.so)

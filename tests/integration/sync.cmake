# Sync over ZeroMQ: the message codec (unit) and real processes on loopback.
# Included from tests/CMakeLists.txt.
silver_test(test_sync_msg SOURCES ${CMAKE_CURRENT_LIST_DIR}/../unit/test_sync_msg.c
  LIBS silver_proto LABELS proto sync)
silver_shell_test(test_sync ${CMAKE_CURRENT_LIST_DIR}/test_sync.sh TIMEOUT 180 LABELS integration sync)

# The fault tests: a bad network (a TCP proxy that cuts, stalls and delays)
# and a bad peer (malformed, oversized, garbage entries), SIGKILL of the hub
# and of nodes at random moments.  Under SILVER_SANITIZE the test runs
# fewer rounds (SILVER_SANITIZE_BUILD=1); SILVER_FAULT_KILLS sets the count.
add_executable(fault_proxy ${CMAKE_CURRENT_LIST_DIR}/fault_proxy.c)
target_link_libraries(fault_proxy PRIVATE silver_sync PkgConfig::SODIUM PkgConfig::ZMQ)
set_target_properties(fault_proxy PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
silver_shell_test(test_sync_faults ${CMAKE_CURRENT_LIST_DIR}/test_sync_faults.sh TIMEOUT 600 LABELS integration sync)
if(SILVER_SANITIZE)
  set_property(TEST test_sync_faults APPEND PROPERTY ENVIRONMENT "SILVER_SANITIZE_BUILD=1")
endif()
add_dependencies(fault_proxy silvernode silvernode-net)
include(${CMAKE_CURRENT_LIST_DIR}/../bench/sync.cmake)
# status at the hub: every certified office and how current its data is;
# status --prometheus.
silver_shell_test(test_status ${CMAKE_CURRENT_LIST_DIR}/test_status.sh TIMEOUT 120 LABELS integration sync)

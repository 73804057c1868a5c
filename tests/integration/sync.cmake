# Sync over ZeroMQ: the message codec (unit) and real processes on loopback.
# Included from tests/CMakeLists.txt.
silver_test(test_sync_msg SOURCES ${CMAKE_CURRENT_LIST_DIR}/../unit/test_sync_msg.c
  LIBS silver_proto LABELS proto sync)
silver_shell_test(test_sync ${CMAKE_CURRENT_LIST_DIR}/test_sync.sh TIMEOUT 180 LABELS integration sync)

# silver-audit (docs/AUDIT.md): the tamper suite (in process, against a real
# signed history) and the end-to-end test that drives the programs.
silver_test(test_audit_tamper SOURCES ${CMAKE_CURRENT_LIST_DIR}/../unit/test_audit_tamper.c
  ${CMAKE_CURRENT_LIST_DIR}/../unit/testutil.c
  LIBS silver_audit LABELS audit TIMEOUT 300)
target_include_directories(test_audit_tamper PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../unit)
silver_shell_test(test_audit ${CMAKE_CURRENT_LIST_DIR}/test_audit.sh LABELS audit TIMEOUT 300)
# silver-audit of a node written meanwhile: one consistent snapshot.
silver_shell_test(test_audit_live ${CMAKE_CURRENT_LIST_DIR}/test_audit_live.sh LABELS audit TIMEOUT 300)

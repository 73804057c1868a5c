# Shell tests that drive the real silvernode program as a user would
# (tests/integration/lib.sh has the helpers).  They need silvernode built
# and python3; CTest gives them SILVER_BIN.
set(_id ${CMAKE_CURRENT_LIST_DIR})

silver_shell_test(integration_cli ${_id}/test_cli.sh
  TIMEOUT 120 LABELS integration)
silver_shell_test(integration_bad_input ${_id}/test_bad_input.sh
  TIMEOUT 180 LABELS integration)
# Chinese headers and values, GBK and XLSX files, natural keys, dry run,
# export and back; NUL bytes, header-only files, devices, FIFOs, long rows.
silver_shell_test(integration_import_forms ${_id}/test_import_forms.sh
  TIMEOUT 300 LABELS integration)
# Damages every byte of a small bundle: about 1,100 runs of silvernode
# (SILVER_BUNDLE_DAMAGE=all: about 2,800).
silver_shell_test(integration_bundle_cli ${_id}/test_bundle_cli.sh
  TIMEOUT 600 LABELS integration)
# 50 rounds of SIGKILL (SILVER_CRASH_ROUNDS): about 2-3 minutes in a normal
# build; a sanitizer build is several times slower, hence the long timeout.
if(SILVER_SANITIZE)
  set(SILVER_CRASH_TIMEOUT 2400)
else()
  set(SILVER_CRASH_TIMEOUT 600)
endif()
silver_shell_test(integration_crash ${_id}/test_crash.sh
  TIMEOUT ${SILVER_CRASH_TIMEOUT} LABELS integration crash)

# CTest has no build dependencies: without silvernode the tests are "Not
# Run" (a failure) rather than failing on their own.
foreach(t integration_cli integration_bad_input integration_import_forms integration_bundle_cli integration_crash)
  set_property(TEST ${t} APPEND PROPERTY REQUIRED_FILES ${CMAKE_BINARY_DIR}/bin/silvernode)
endforeach()

# Backup, restore, and the catch-up rule that keeps a restored node from
# forking its own feed.
silver_shell_test(integration_restore ${_id}/test_restore.sh
  TIMEOUT 120 LABELS integration)
set_property(TEST integration_restore APPEND PROPERTY REQUIRED_FILES ${CMAKE_BINARY_DIR}/bin/silvernode)

# Faults found by a campaign: init whole or nothing under kills and a full
# disk (strace injections, about 60 runs), one name rule, the clock's range,
# escaped messages.
silver_shell_test(integration_hardening ${_id}/test_hardening.sh
  TIMEOUT 300 LABELS integration)
set_property(TEST integration_hardening APPEND PROPERTY REQUIRED_FILES ${CMAKE_BINARY_DIR}/bin/silvernode)

# The backup script, the completion, the man page's command list and the
# silvernode-net lookup (what the package installs; tests/package.sh tests
# the installed package itself).
silver_shell_test(integration_install_bits ${_id}/test_install_bits.sh
  TIMEOUT 120 LABELS integration)
set_property(TEST integration_install_bits APPEND PROPERTY REQUIRED_FILES ${CMAKE_BINARY_DIR}/bin/silversync-backup)

# Chinese with LANG=zh_CN.UTF-8 where that locale is not generated, and an
# installed program never reading the build tree's catalogue.
silver_shell_test(integration_i18n ${_id}/test_i18n.sh
  TIMEOUT 60 LABELS integration i18n)
set_property(TEST integration_i18n APPEND PROPERTY REQUIRED_FILES ${CMAKE_BINARY_DIR}/bin/silvernode)

# Damaged stores (cut short, a page of garbage, each page in turn) and files
# that are not regular files: never a signal, never a hang (docs/STORE.md).
silver_shell_test(integration_damage ${_id}/test_damage.sh
  TIMEOUT 300 LABELS integration fault)
set_property(TEST integration_damage APPEND PROPERTY REQUIRED_FILES ${CMAKE_BINARY_DIR}/bin/silvernode)

# The demo county (issue 6): tools/gen_county.py at --scale small, then
# tools/demo.sh --no-build against the built programs, checking the figures
# it claims.  Included by tests/CMakeLists.txt.  Needs python3.
silver_shell_test(test_demo ${CMAKE_CURRENT_LIST_DIR}/test_demo.sh LABELS tools demo TIMEOUT 600)

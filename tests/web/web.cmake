# The office workbench (docs/WEB.md): HTTP-level tests (python3's urllib)
# and the browser test (headless Chromium driven by Selenium: Debian's
# chromium, chromium-driver and python3-selenium, tools/bootstrap.sh
# --test-deps).  Each starts silvernode web on 127.0.0.1 and stops it by PID.
set(_wd ${CMAKE_CURRENT_LIST_DIR})
set(_wenv "SILVER_BIN=${CMAKE_BINARY_DIR}/bin;SILVER_SRC=${CMAKE_SOURCE_DIR};LANG=C.UTF-8;LC_ALL=C.UTF-8")

add_test(NAME web_http COMMAND python3 ${_wd}/test_web_http.py)
set_tests_properties(web_http PROPERTIES TIMEOUT 300 LABELS "integration;web" ENVIRONMENT "${_wenv}"
  REQUIRED_FILES "${CMAKE_BINARY_DIR}/bin/silvernode;${CMAKE_BINARY_DIR}/bin/silvernode-web")

# The browser test fails (never skips) when chromium, chromedriver or
# selenium is missing.  SILVER_WEB_SCREENSHOTS=DIR saves its screenshots.
# Debian's python3-selenium lives in the system python3 (/usr/bin), which a
# python3 earlier on PATH may not see.
find_program(SILVER_SYSTEM_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT SILVER_SYSTEM_PYTHON3)
  set(SILVER_SYSTEM_PYTHON3 python3)
endif()
add_test(NAME web_browser COMMAND ${SILVER_SYSTEM_PYTHON3} ${_wd}/test_web_browser.py)
set_tests_properties(web_browser PROPERTIES TIMEOUT 300 LABELS "integration;web;browser" ENVIRONMENT "${_wenv}"
  REQUIRED_FILES "${CMAKE_BINARY_DIR}/bin/silvernode;${CMAKE_BINARY_DIR}/bin/silvernode-web")

# i18n_catalogue: every _() / N_() string in proto/ node/ tools/ must have a
# checked (non-fuzzy) translation in po/zh_CN.po, and the catalogue must pass
# msgfmt -c.  The script re-extracts the strings at test time, so the check
# sees the sources as they are now, not as they were at configure time.
add_test(NAME i18n_catalogue
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/i18n_check.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(i18n_catalogue PROPERTIES TIMEOUT 120 LABELS i18n
  ENVIRONMENT "SILVER_SRC=${CMAKE_SOURCE_DIR};LANG=C.UTF-8;LC_ALL=C.UTF-8")

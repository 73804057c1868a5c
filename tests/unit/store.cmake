# The store layer (node/): unit tests, merge semantics, the convergence
# property test and tamper tests.  One CTest per file; testutil.c is shared.
set(_sd ${CMAKE_CURRENT_LIST_DIR})
silver_test(test_store SOURCES ${_sd}/test_store.c ${_sd}/testutil.c
  LIBS silver_node LABELS store TIMEOUT 300)
silver_test(test_search SOURCES ${_sd}/test_search.c ${_sd}/testutil.c
  LIBS silver_node LABELS store TIMEOUT 300)
silver_test(test_merge SOURCES ${_sd}/test_merge.c ${_sd}/testutil.c
  LIBS silver_node LABELS store TIMEOUT 120)
silver_test(test_converge SOURCES ${_sd}/test_converge.c ${_sd}/testutil.c
  LIBS silver_node LABELS store TIMEOUT 600)
silver_test(test_tamper SOURCES ${_sd}/test_tamper.c ${_sd}/testutil.c
  LIBS silver_node LABELS store TIMEOUT 300)
# The operator a CHANGE carries: written, synced, bundled, shown by the workbench.
silver_test(test_operator SOURCES ${_sd}/test_operator.c ${_sd}/testutil.c
  LIBS silver_web PkgConfig::LMDB LABELS store TIMEOUT 120)

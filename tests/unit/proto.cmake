# Unit tests of the proto layer (one CTest per file).
set(_pd ${CMAKE_CURRENT_LIST_DIR})
silver_test(test_proto SOURCES ${_pd}/test_proto.c ${_pd}/test_proto_fixtures.c
  LIBS silver_proto LABELS proto)
silver_test(test_proto_vectors SOURCES ${_pd}/test_proto_vectors.c ${_pd}/test_proto_fixtures.c
  LIBS silver_proto LABELS proto)
silver_test(test_proto_mutate SOURCES ${_pd}/test_proto_mutate.c ${_pd}/test_proto_fixtures.c
  LIBS silver_proto LABELS proto TIMEOUT 300)

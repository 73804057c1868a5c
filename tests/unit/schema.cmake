# schema: the DOMAIN.md collections, parsing of typed values, record ids.
silver_test(test_schema
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_schema.c
  LIBS silver_node
  TIMEOUT 60)

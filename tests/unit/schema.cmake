# schema: the DOMAIN.md collections, parsing of typed values, record ids.
silver_test(test_schema
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_schema.c
  LIBS silver_node
  TIMEOUT 60)

# table forms: header names, Chinese labels, value and date forms.
silver_test(test_table
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_table.c
  LIBS silver_table
  TIMEOUT 60)

# libFuzzer targets for every decoder of untrusted bytes in proto/.
# Built only with -DSILVER_FUZZ=ON and clang; run them with tests/fuzz/run.sh.
if(SILVER_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SILVER_FUZZ needs clang: configure with -DCMAKE_C_COMPILER=clang")
  endif()
  set(_fz_flags -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  # proto again, instrumented for coverage
  get_target_property(_fz_src silver_proto SOURCES)
  list(TRANSFORM _fz_src PREPEND ${PROJECT_SOURCE_DIR}/proto/)
  add_library(silver_proto_fuzz STATIC ${_fz_src})
  target_include_directories(silver_proto_fuzz PUBLIC ${PROJECT_SOURCE_DIR}/proto)
  target_link_libraries(silver_proto_fuzz PUBLIC PkgConfig::MSGPACK PkgConfig::SODIUM PkgConfig::UTF8PROC)
  target_compile_options(silver_proto_fuzz PRIVATE ${_fz_flags})
  foreach(_fz fuzz_entry fuzz_msgcheck fuzz_bundle fuzz_admin fuzz_sync_msg)
    add_executable(${_fz} ${CMAKE_CURRENT_LIST_DIR}/${_fz}.c)
    target_link_libraries(${_fz} PRIVATE silver_proto_fuzz)
    target_compile_options(${_fz} PRIVATE ${_fz_flags})
    target_link_options(${_fz} PRIVATE -fsanitize=fuzzer,address,undefined)
    set_target_properties(${_fz} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  endforeach()
endif()

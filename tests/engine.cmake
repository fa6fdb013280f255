# Protocol codec unit tests and integration tests that start real processes.
cx_unit_test(test_proto test_proto.c)
target_link_libraries(test_proto PRIVATE cxproto cxmodel)

set(CX_IT_ENV "CXSIM=$<TARGET_FILE:cxsim>;CX_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
foreach(t run_baseline determinism faults bad_input checkpoint shipped live python fork remote web)
  add_test(NAME it_${t} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/${t}.sh)
  set_tests_properties(it_${t} PROPERTIES TIMEOUT 300 ENVIRONMENT "${CX_IT_ENV}")
endforeach()

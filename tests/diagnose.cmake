# From diagnosis to roadmap (issue 20): the self-assessment's loader and
# scoring (unit), and `cxsim assess` end to end: the assessed scenario
# validates and runs, answers given on a terminal, invalid input exits 2.
cx_unit_test(test_assess ${CMAKE_CURRENT_LIST_DIR}/test_assess.c)
target_link_libraries(test_assess PRIVATE cxdiagnose)
target_compile_definitions(test_assess PRIVATE CX_SOURCE_DIR="${CMAKE_SOURCE_DIR}")

# Under the sanitizers the attribution test runs 2 of its 10 seeds: the same
# code, a tenth of CI's time (the ranking over ten seeds runs optimised).
set(CX_DX_ENV "CXSIM=$<TARGET_FILE:cxsim>;CX_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
if(CX_SANITIZE)
  list(APPEND CX_DX_ENV "CX_ATTRIBUTE_SEEDS=2")
endif()
foreach(t assess gap attribute)
  cx_integration_test(it_${t} ${CMAKE_CURRENT_LIST_DIR}/integration/${t}.sh)
  set_tests_properties(it_${t} PROPERTIES TIMEOUT 300 ENVIRONMENT "${CX_DX_ENV}")
endforeach()
set_tests_properties(it_attribute PROPERTIES COST 300) # among the longest: started early

# Scenario files: loader, validator, --set overrides, emitter, the shipped library, the
# broken-file corpus, the examples in docs/SCENARIOS.md, garbage input and the fuzz target.
set(CX_SCEN_ROOT ${CMAKE_CURRENT_LIST_DIR}/..)
get_filename_component(CX_SCEN_ROOT ${CX_SCEN_ROOT} ABSOLUTE)

foreach(t shipped broken sets docs garbage)
  cx_unit_test(test_scenario_${t} ${CMAKE_CURRENT_LIST_DIR}/test_scenario_${t}.c)
  target_link_libraries(test_scenario_${t} PRIVATE cxconfig)
  target_compile_definitions(test_scenario_${t} PRIVATE CX_SOURCE_DIR="${CX_SCEN_ROOT}")
endforeach()

# `cxsim validate`, driven in-process.
cx_unit_test(test_scenario_validate ${CMAKE_CURRENT_LIST_DIR}/test_scenario_validate.c
             ${CX_SCEN_ROOT}/cli/cx_cmd_validate.c)
target_include_directories(test_scenario_validate PRIVATE ${CX_SCEN_ROOT}/cli)
target_link_libraries(test_scenario_validate PRIVATE cxconfig)
target_compile_definitions(test_scenario_validate PRIVATE CX_SOURCE_DIR="${CX_SCEN_ROOT}")

# The fuzz harness without libFuzzer: a main() that feeds it every file of the shipped
# scenarios and of the broken corpus, so each ctest run replays them.
add_executable(fuzz_scenario_replay ${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz_scenario.c)
target_link_libraries(fuzz_scenario_replay PRIVATE cxconfig)
add_test(NAME fuzz_scenario_replay
         COMMAND fuzz_scenario_replay ${CX_SCEN_ROOT}/scenarios ${CX_SCEN_ROOT}/tests/scenarios_broken
                 ${CX_SCEN_ROOT}/tests/fuzz/corpus)
set_tests_properties(fuzz_scenario_replay PROPERTIES TIMEOUT 120)

# The libFuzzer target (scripts/fuzz-scenario builds and runs it).
if(CX_FUZZ AND NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(WARNING "CX_FUZZ needs clang (-DCMAKE_C_COMPILER=clang): fuzz_scenario not built")
elseif(CX_FUZZ)
  add_executable(fuzz_scenario ${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz_scenario.c)
  target_compile_definitions(fuzz_scenario PRIVATE CX_LIBFUZZER=1)
  target_compile_options(fuzz_scenario PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_scenario PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_scenario PRIVATE cxconfig)
  # Coverage feedback from the loader itself, not only from the harness.
  target_compile_options(cxconfig PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
endif()

# The option parser of every program (config/cx_opts): unit test, and the
# launcher's answer to a misspelt subcommand or option.
cx_unit_test(test_opts ${CMAKE_CURRENT_LIST_DIR}/test_opts.c)
target_link_libraries(test_opts PRIVATE cxconfig)
add_test(NAME it_options COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/integration/options.sh)
set_tests_properties(it_options PROPERTIES TIMEOUT 120
  ENVIRONMENT "CXSIM=$<TARGET_FILE:cxsim>;CX_SOURCE_DIR=${CMAKE_SOURCE_DIR}")

# The project's CSV reader (config/cx_csv.c).
cx_unit_test(test_csv ${CMAKE_CURRENT_LIST_DIR}/test_csv.c)
target_link_libraries(test_csv PRIVATE cxconfig)
